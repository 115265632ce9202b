import { DomainError } from '@switchboard/errors';
import { createManualClock } from '@switchboard/timing';
import type { CallContext, Caller } from './call-context';
import { watchStreamCredentials } from './watch-stream-credentials';

const ctx = {} as CallContext;

function watch(caller: Caller, answers: (Caller | Error)[]) {
  const clock = createManualClock(0);
  const ended: DomainError[] = [];
  let checks = 0;
  const stop = watchStreamCredentials({
    token: 't',
    caller,
    ctx,
    clock,
    recheckMs: 1_000,
    authenticate: async () => {
      checks++;
      const next = answers.shift() ?? caller;
      if (next instanceof Error) throw next;
      return next;
    },
    onInvalid: (err) => ended.push(err),
  });
  return { clock, ended, stop, checks: () => checks };
}

describe('watchStreamCredentials', () => {
  it('ends the stream when the token expires, once', async () => {
    const w = watch({ userId: 'u', roles: [], expiresAt: new Date(2_500) }, []);
    await w.clock.advance(2_499);
    expect(w.ended).toEqual([]);
    await w.clock.advance(1);
    expect(w.ended.map((e) => e.message)).toEqual(['the access token expired during the stream']);
    await w.clock.advance(10_000);
    expect(w.ended).toHaveLength(1);
    expect(w.clock.pending).toBe(0);
  });

  it('rechecks the token, ends on a refusal and shrugs off an auth outage', async () => {
    const w = watch({ userId: 'u', roles: [] }, [
      new DomainError('DEPENDENCY_UNAVAILABLE', 'auth is down'),
      { userId: 'u', roles: [] },
      new DomainError('INVALID_TOKEN', 'revoked'),
    ]);
    await w.clock.advance(1_000);
    expect([w.checks(), w.ended.length]).toEqual([1, 0]); // an outage ends nothing
    await w.clock.advance(1_000);
    expect([w.checks(), w.ended.length]).toEqual([2, 0]);
    await w.clock.advance(1_000);
    expect(w.checks()).toBe(3);
    expect(w.ended.map((e) => [e.code, e.message])).toEqual([
      ['INVALID_TOKEN', 'the access token was revoked or expired'],
    ]);
    await w.clock.advance(10_000);
    expect(w.checks()).toBe(3);
  });

  it('stops checking when the stream ends first', async () => {
    const w = watch({ userId: 'u', roles: [], expiresAt: new Date(5_000) }, []);
    await w.clock.advance(1_000);
    w.stop();
    await w.clock.advance(10_000);
    expect([w.checks(), w.ended.length, w.clock.pending]).toEqual([1, 0, 0]);
  });
});
