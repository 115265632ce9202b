import type { ConsoleMethods } from '../console-methods';

/** ListDeadLetters and RedriveDeadLetters, and a way to let go of the Kafka connections behind them. */
export interface DeadLetterMethods extends Required<
  Pick<ConsoleMethods, 'listDeadLetters' | 'redriveDeadLetters'>
> {
  /** Disconnects; for the console's shutdown. */
  close(): Promise<void>;
}
