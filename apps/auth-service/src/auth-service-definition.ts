import { AuthService } from '@switchboard/contracts';
import { defineStandardService } from '@switchboard/service-runtime';
import { loadAuthConfig } from './load-auth-config';
import { migrations } from './migrations';
import { createAuthModule } from './auth-module';

/** The auth service as main.ts runs it and its tests start it. */
export const authServiceDefinition = defineStandardService({
  service: AuthService,
  moduleName: 'auth',
  loadConfig: loadAuthConfig,
  migrations,
  createModule: createAuthModule,
  // Auth checks tokens itself: calling its own VerifyToken would be a loop.
  createAuthenticator: false,
});
