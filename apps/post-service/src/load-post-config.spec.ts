import { ConfigError } from '@switchboard/config';
import { loadPostConfig } from './load-post-config';

describe('loadPostConfig', () => {
  it('defaults to port 50054 and five attempts per consumed event', () => {
    expect(loadPostConfig({ SWITCHBOARD_ENV: 'development' })).toMatchObject({
      service: 'post-service',
      key: 'post',
      port: 50054,
      eventMaxAttempts: 5,
    });
  });

  it('reads POST_EVENT_MAX_ATTEMPTS and refuses nonsense, naming the variable', () => {
    expect(
      loadPostConfig({ SWITCHBOARD_ENV: 'development', POST_EVENT_MAX_ATTEMPTS: '9' })
        .eventMaxAttempts,
    ).toBe(9);
    let caught: unknown;
    try {
      loadPostConfig({
        SWITCHBOARD_ENV: 'development',
        POST_EVENT_MAX_ATTEMPTS: '0',
        POST_PORT: 'x',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toContain('POST_EVENT_MAX_ATTEMPTS: must be between 1 and 100');
    expect(problems).toContain('POST_PORT');
  });
});
