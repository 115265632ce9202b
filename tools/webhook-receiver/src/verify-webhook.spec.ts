import { createHmac } from 'node:crypto';
import { verifyWebhook } from './verify-webhook';

// The example from the Standard Webhooks specification's test vectors.
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"test": 2432232314}';
const headers = {
  'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  'webhook-timestamp': '1614265330',
  'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const at = 1614265330 * 1_000;

describe('verifyWebhook', () => {
  it('accepts the specification example, from a string or the raw bytes', () => {
    const ok = { ok: true, id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestampSeconds: 1614265330 };
    expect(verifyWebhook({ secret, headers, body, nowMs: at })).toEqual(ok);
    expect(
      verifyWebhook({ secret, headers, body: Buffer.from(body), nowMs: at + 299_000 }),
    ).toEqual(ok);
  });

  it('accepts any one matching signature of several (a secret being rotated)', () => {
    const signatures = `v1,bm90IGl0 v2,whatever ${headers['webhook-signature']}`;
    expect(
      verifyWebhook({
        secret,
        headers: { ...headers, 'webhook-signature': signatures },
        body,
        nowMs: at,
      }).ok,
    ).toBe(true);
  });

  it.each([
    ['a changed body', { body: '{"test": 2432232315}' }, 'no v1 signature matches'],
    [
      'another id',
      { headers: { ...headers, 'webhook-id': 'msg_other' } },
      'no v1 signature matches',
    ],
    [
      'another secret',
      { secret: 'whsec_' + Buffer.from('other key').toString('base64') },
      'no v1 signature matches',
    ],
    [
      'an old timestamp',
      { nowMs: at + 301_000 },
      'webhook-timestamp is 301 s old (more than 300 s)',
    ],
    ['a future timestamp', { nowMs: at - 301_000 }, 'webhook-timestamp is 301 s in the future'],
    [
      'no signature',
      { headers: { ...headers, 'webhook-signature': undefined } },
      'missing webhook-id, webhook-timestamp or webhook-signature',
    ],
    [
      'a timestamp in ms',
      { headers: { ...headers, 'webhook-timestamp': '1614265330000x' } },
      'webhook-timestamp "1614265330000x" is not whole seconds',
    ],
  ])('refuses %s', (_what, change, reason) => {
    expect(verifyWebhook({ secret, headers, body, nowMs: at, ...change })).toEqual({
      ok: false,
      reason,
    });
  });

  it('refuses a resigned old timestamp only when outside the tolerance given', () => {
    const timestamp = String(1614265330 - 600);
    const signature = createHmac(
      'sha256',
      Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'),
    )
      .update(`${headers['webhook-id']}.${timestamp}.${body}`)
      .digest('base64');
    const old = {
      ...headers,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    };
    expect(verifyWebhook({ secret, headers: old, body, nowMs: at }).ok).toBe(false);
    expect(verifyWebhook({ secret, headers: old, body, nowMs: at, toleranceSeconds: 600 }).ok).toBe(
      true,
    );
  });
});
