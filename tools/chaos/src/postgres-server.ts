import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@switchboard/testing';
import pg from 'pg';

export interface PostgresServer {
  /** postgres://postgres:postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** A URL naming `database` on this server. */
  urlOf(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** A fast shutdown (open transactions roll back, every connection is cut). */
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
}

const READY = /\[local-postgres\] ready:/;

/**
 * PostgreSQL as `npm start` runs it (tools/postgres/local-postgres.mjs), in a
 * process the test can stop and start again on the same data, the way an
 * operator restarts a database under running services.
 */
export async function startPostgresServer(dataDir: string, port: number): Promise<PostgresServer> {
  const root = findWorkspaceRoot(__dirname);
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  let running: { child: ChildProcess; exited: Promise<void> } | undefined;

  function start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        join(root, 'tools', 'postgres', 'local-postgres.mjs'),
        '--data-dir',
        dataDir,
        '--port',
        String(port),
      ],
      { cwd: root, env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    running = { child, exited };
    let out = '';
    return new Promise((ready, failed) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (READY.test(out)) ready();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => failed(new Error(`PostgreSQL exited before it was ready:\n${out}`)));
    });
  }

  async function stop(): Promise<void> {
    if (running === undefined) return;
    const { child, exited } = running;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    running = undefined;
  }

  const urlOf = (database: string) => url.replace(/\/postgres$/, `/${database}`);
  await start();
  return {
    url,
    urlOf,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`create database "${name}"`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    stop,
    start,
  };
}
