// A server a launcher starts (the broker's JVM, PostgreSQL) must not outlive
// it, even when the launcher is SIGKILLed and no handler of its own runs.
import { spawn } from 'node:child_process';

/**
 * Starts a tiny detached watchdog that holds the read end of a pipe from this
 * process. When the pipe closes (this process is gone, whatever the reason)
 * it sends `signal` to `pid`, and SIGKILL if it is still alive after `graceMs`.
 */
export function guardAgainstOrphan(pid, { signal, graceMs }) {
  const script = `
    const [pid, signal, graceMs] = [Number(process.argv[1]), process.argv[2], Number(process.argv[3])];
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => {
      if (!alive()) process.exit(0);
      try { process.kill(pid, signal); } catch {}
      const deadline = Date.now() + graceMs;
      setInterval(() => {
        if (!alive()) process.exit(0);
        if (Date.now() > deadline) { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); }
      }, 200);
    });`;
  const watchdog = spawn(process.execPath, ['-e', script, String(pid), signal, String(graceMs)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  watchdog.stdin.on('error', () => {});
  watchdog.stdin.unref?.();
}
