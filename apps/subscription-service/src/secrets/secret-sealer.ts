/** Seals the signing secrets at rest, so a database dump alone cannot forge signatures. */
export interface SecretSealer {
  /** AES-256-GCM with a fresh nonce; `context` (the subscription id) is bound as associated data. */
  seal(plaintext: string, context: string): Promise<string>;
  /** Throws when the key is wrong or the value was altered or moved to another row. */
  open(sealed: string, context: string): Promise<string>;
}
