import { PostService } from '@switchboard/contracts';
import { defineStandardService } from '@switchboard/service-runtime';
import { loadPostConfig } from './load-post-config';
import { migrations } from './migrations';
import { createPostModule } from './post-module';

/** The post service as main.ts runs it and its tests start it. */
export const postServiceDefinition = defineStandardService({
  service: PostService,
  moduleName: 'posts',
  loadConfig: loadPostConfig,
  migrations,
  createModule: createPostModule,
});
