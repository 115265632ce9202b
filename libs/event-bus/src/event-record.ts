/**
 * A Kafka record as the event bus sees it, independent of the client library,
 * so handlers, the DLQ runtime and the CLI never touch kafkajs types.
 */
export interface EventRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit; kept as a decimal string to stay exact. */
  readonly offset: string;
  readonly key: string | null;
  /** Header values decoded as UTF-8; a repeated header keeps its first value. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The bytes of the headers that are not valid UTF-8 (whose text in
   * `headers` is lossy), for tools that show them as they are; absent when
   * every header is text.
   */
  readonly binaryHeaders?: Readonly<Record<string, Uint8Array>>;
  readonly value: Uint8Array | null;
  /** Milliseconds since the epoch, as the broker reports it. */
  readonly timestamp: string;
}

/** What a producer writes: an encoded event, or anything raw (e.g. a dead letter). */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly value: Uint8Array | null;
}
