import { UsageError } from '@switchboard/cli';
import { parseReceiverArgs } from './parse-receiver-args';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('parseReceiverArgs', () => {
  it('defaults to 127.0.0.1:9400, 300 s of tolerance and no failures', () => {
    expect(parseReceiverArgs(['--secret', secret], {})).toEqual({
      host: '127.0.0.1',
      port: 9400,
      secret,
      secretFile: undefined,
      toleranceSeconds: 300,
      failFirst: 0,
      failStatus: 500,
      retryAfterSeconds: 1,
      refuseHandshake: false,
    });
  });

  it('takes the secret from WEBHOOK_SECRET or a file, and the fault options', () => {
    expect(parseReceiverArgs([], { WEBHOOK_SECRET: secret }).secret).toBe(secret);
    expect(
      parseReceiverArgs(
        [
          '--secret-file',
          'f',
          '--fail-first',
          '2',
          '--fail-status',
          '429',
          '--retry-after',
          '3',
          '--port',
          '0',
        ],
        {},
      ),
    ).toMatchObject({
      secretFile: 'f',
      secret: undefined,
      failFirst: 2,
      failStatus: 429,
      retryAfterSeconds: 3,
      port: 0,
    });
  });

  it.each([
    [[], 'a signing secret is needed'],
    [['--secret', 'hunter2'], 'the secret must be whsec_ followed by base64'],
    [['--secret', secret, '--secret-file', 'f'], 'not both'],
    [['--secret', secret, '--fail-status', '404'], '--fail-status must be 500 or 429 (got "404")'],
    [['--secret', secret, '--port', '70000'], '--port must be a whole number from 0 to 65535'],
    [['--secret', secret, '--verbose'], "Unknown option '--verbose'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseReceiverArgs(argv, {})).toThrow(UsageError);
    expect(() => parseReceiverArgs(argv, {})).toThrow(message);
  });
});
