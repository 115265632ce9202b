import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { StorageError } from './storage-error';

/**
 * Claims a PGlite folder for this process. PGlite happily opens a folder that
 * another instance is using, and two writers corrupt it; starting a service
 * twice without DATABASE_URL is an easy mistake, so it must fail clearly. The
 * lock is a file next to the folder (PGlite's initdb wants the folder itself
 * empty) holding the owner's pid; a lock left by a dead process is taken over.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(owner) && isAlive(owner)) {
      const who = owner === process.pid ? 'this process' : `process ${owner}`;
      throw new StorageError(
        `the embedded database in ${dataDir} is already open in ${who}; run one instance per folder, or set DATABASE_URL to share a server (delete ${lockPath} if that process is gone)`,
        dataDir,
      );
    }
    rmSync(lockPath, { force: true }); // stale: its owner has exited
  }
  throw new StorageError(`cannot lock ${dataDir}: ${lockPath} keeps reappearing`, dataDir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 checks existence without signalling
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
