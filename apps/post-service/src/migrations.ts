import type { Migration } from '@switchboard/storage';

/** This service's schema, in order. Applied at start; never edit one that has shipped. */
export const migrations: Record<string, Migration> = {};
