import { env, loadServiceConfig, type Env } from '@switchboard/config';

/** What the post service reads on top of what every service reads. */
export function postConfigSchema() {
  return {
    /** Deliveries of one consumed event before it goes to the dead-letter topic. */
    eventMaxAttempts: env.int('POST_EVENT_MAX_ATTEMPTS', { default: 5, min: 1, max: 100 }),
  };
}

export function loadPostConfig(source: Env = process.env) {
  return loadServiceConfig('post', postConfigSchema(), source);
}

export type PostConfig = ReturnType<typeof loadPostConfig>;
