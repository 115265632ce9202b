import type { DescService } from '@bufbuild/protobuf';
import type { ServiceConfig } from '@switchboard/config';
import type { ServiceModule } from './service-module';
import type {
  StandardService,
  StandardServiceSpec,
  StartStandardServiceOptions,
} from './standard-service';
import { startStandardService } from './start-standard-service';

/**
 * A service's one description, shared by its main.ts (runStandardService) and
 * its tests (startServiceUnderTest), so both start the very same wiring.
 */
export function defineStandardService<
  Desc extends DescService,
  Config extends ServiceConfig,
  DB,
  Module extends ServiceModule<Desc>,
  Overrides = never,
>(
  spec: StandardServiceSpec<Desc, Config, DB, Module, Overrides>,
): StandardService<Desc, Config, DB, Module, Overrides> {
  return Object.freeze({
    ...spec,
    start: (options: StartStandardServiceOptions<Config, Overrides>) =>
      startStandardService(spec, options),
  });
}
