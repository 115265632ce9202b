import type { ServiceImpl } from '@connectrpc/connect';
import type { ConsoleService } from '@switchboard/contracts';

/**
 * A part of the console's backend: each part (telemetry, topics, dead letters,
 * explorer) implements some of ConsoleService's methods, and the server serves
 * their union.
 */
export type ConsoleMethods = Partial<ServiceImpl<typeof ConsoleService>>;
