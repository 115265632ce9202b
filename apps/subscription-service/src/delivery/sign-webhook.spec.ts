import { signWebhook } from './sign-webhook';

describe('signWebhook', () => {
  it('matches the Standard Webhooks specification example', () => {
    // The example from the Standard Webhooks specification's test vectors.
    expect(
      signWebhook({
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestampSeconds: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('signs the body, the id and the timestamp: changing any changes the signature', () => {
    const base = {
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'a',
      timestampSeconds: 1,
      body: '{}',
    };
    const signature = (input: typeof base) => signWebhook(input)['webhook-signature'];
    const all = new Set([
      signature(base),
      signature({ ...base, id: 'b' }),
      signature({ ...base, timestampSeconds: 2 }),
      signature({ ...base, body: '{ }' }),
    ]);
    expect(all.size).toBe(4);
  });

  it('refuses a secret that is not base64, and a timestamp that is not whole seconds', () => {
    const input = { id: 'a', timestampSeconds: 1, body: '' };
    expect(() => signWebhook({ ...input, secret: 'whsec_' })).toThrow(/whsec_ followed by base64/);
    expect(() => signWebhook({ ...input, secret: 'whsec_not base64!' })).toThrow(
      /whsec_ followed by base64/,
    );
    expect(() =>
      signWebhook({
        ...input,
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        timestampSeconds: 1.5,
      }),
    ).toThrow(RangeError);
  });
});
