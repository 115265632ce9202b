import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The real grpcurl binary: on PATH, or where `go install` puts it. */
export function findGrpcurl(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v grpcurl']).stdout.toString().trim();
  if (onPath) return onPath;
  const gopath =
    spawnSync('go', ['env', 'GOPATH']).stdout?.toString().trim() || join(homedir(), 'go');
  const candidate = join(gopath, 'bin', 'grpcurl');
  if (existsSync(candidate)) return candidate;
  throw new Error(
    'grpcurl not found: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4',
  );
}

export interface GrpcurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs grpcurl with the given arguments and never throws on a non-zero exit. */
export function grpcurl(args: string[], stdin?: string): GrpcurlResult {
  try {
    const stdout = execFileSync(findGrpcurl(), args, {
      input: stdin,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 20_000,
    }).toString();
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status?: number; stdout?: Buffer; stderr?: Buffer };
    return {
      code: e.status ?? 1,
      stdout: e.stdout?.toString() ?? '',
      stderr: e.stderr?.toString() ?? '',
    };
  }
}
