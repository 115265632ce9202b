// Process helpers the local launchers (broker, PostgreSQL) share: they run
// short commands, time their steps and signal servers that may already be gone.
import { spawn } from 'node:child_process';

/**
 * Runs `cmd` to its end and resolves with its exit code and its stdout and
 * stderr interleaved; a command that cannot start resolves with code -1, so a
 * caller reports every failure the same way.
 */
export function runCommand(cmd, args, options) {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', (err) => done({ code: -1, output: String(err) }));
    child.on('exit', (code) => done({ code, output }));
  });
}

/** How many milliseconds `fn` took, for the launchers' startup summaries. */
export async function timed(fn) {
  const t0 = Date.now();
  await fn();
  return Date.now() - t0;
}

/** Sends `signal` to `pid`; a process that has exited meanwhile is not an error. */
export function safeKill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** True for the host names that only this machine can reach. */
export function isLoopback(host) {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Copies a server's stdout and stderr to its log file as they come and hands
 * every complete line to `onLine`: the launchers keep a tail for errors and
 * watch for the line that says the server is ready.
 */
export function followOutput(child, logStream, onLine) {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      logStream.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
}
