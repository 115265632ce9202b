import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@switchboard/logger';
import type { ConsoleMethods } from '../console-methods';
import type { ConsoleAuthenticate } from './console-authenticate';

/**
 * Answers an OTLP/HTTP request (POST /v1/traces, /v1/metrics, /v1/logs) and
 * returns true, or returns false without touching `res` when the request is
 * not one it serves.
 */
export type OtlpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface ConsoleServerOptions {
  /** 127.0.0.1 unless the operator chose otherwise (see the console's config). */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The parts of ConsoleService; their union is served, the rest answers UNIMPLEMENTED. */
  methods: readonly ConsoleMethods[];
  otlp: OtlpHandler;
  /** The built browser app: index.html and assets/. */
  uiDir: string;
  /** Checks the bearer token of a call to a method that is not public. */
  authenticate: ConsoleAuthenticate;
  logger: Logger;
  /** Largest Connect request body; larger ones get RESOURCE_EXHAUSTED. Default 3 MiB. */
  maxRequestBytes?: number;
  /** How long open streams (WatchSystem, TailTopic, Invoke) get to end on close. Default 2 s. */
  shutdownGraceMs?: number;
}

export interface ConsoleServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  /** Stops taking connections, ends open streams after the grace time, and resolves when closed. */
  close(): Promise<void>;
}
