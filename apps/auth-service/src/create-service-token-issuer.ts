import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError, createValidationError, type FieldViolation } from '@switchboard/errors';
import type { IssuedToken, TokenService } from './token-service';

export interface ServiceTokenIssuer {
  /** A token for the named service, or INVALID_SERVICE_CREDENTIALS. */
  issue(clientId: string, clientSecret: string): Promise<IssuedToken>;
}

const CLIENT_ID_MAX = 64;
const SECRET_MAX = 512;

function lengthViolation(field: string, value: string, max: number): FieldViolation | undefined {
  if (value.length === 0) return { field, description: 'is required' };
  if (value.length > max) return { field, description: `must be at most ${max} characters` };
  return undefined;
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
      const violations = [
        lengthViolation('client_id', clientId, CLIENT_ID_MAX),
        lengthViolation('client_secret', clientSecret, SECRET_MAX),
      ].filter((v): v is FieldViolation => v !== undefined);
      if (violations.length > 0) throw createValidationError(violations);

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
