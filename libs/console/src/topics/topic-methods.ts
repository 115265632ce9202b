import type { ConsoleMethods } from '../console-methods';

/** ListTopics and TailTopic, and a way to let go of the Kafka connections behind them. */
export interface TopicMethods extends Required<Pick<ConsoleMethods, 'listTopics' | 'tailTopic'>> {
  /** Ends open tails and disconnects; for the console's shutdown. */
  close(): Promise<void>;
}
