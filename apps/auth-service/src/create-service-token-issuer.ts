import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@switchboard/errors';
import type { IssuedToken, TokenService } from './token-service';

export interface ServiceTokenIssuer {
  /** A token for the named service, or INVALID_SERVICE_CREDENTIALS. */
  issue(clientId: string, clientSecret: string): Promise<IssuedToken>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The client-credentials grant: each service holds a secret that auth also
 * knows (`<SERVICE>_SERVICE_SECRET`), and exchanges it for a token whose
 * subject is the service and whose only role is 'service'. Digests of equal
 * length are compared in constant time, so the answer time does not reveal
 * how much of a guess was right; an unknown client costs the same.
 */
export function createServiceTokenIssuer(
  clients: ReadonlyMap<string, string>,
  tokens: TokenService,
): ServiceTokenIssuer {
  const known = new Map([...clients].map(([id, secret]) => [id, digest(secret)]));
  const nobody = digest('');
  return {
    async issue(clientId, clientSecret) {
      const expected = known.get(clientId);
      const matches = timingSafeEqual(expected ?? nobody, digest(clientSecret));
      if (expected === undefined || !matches) {
        throw new DomainError(
          'INVALID_SERVICE_CREDENTIALS',
          'unknown service or wrong service secret',
        );
      }
      return tokens.issue({ userId: clientId, role: 'service' });
    },
  };
}
