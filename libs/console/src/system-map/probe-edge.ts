import { HealthStatus } from '@switchboard/contracts';

/** The edge gateway's GET /healthz: 200 is SERVING, any other answer NOT_SERVING, none UNREACHABLE. */
export async function probeEdge(baseUrl: string, timeoutMs: number): Promise<HealthStatus> {
  try {
    const res = await fetch(new URL('/healthz', baseUrl), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.status === 200 ? HealthStatus.SERVING : HealthStatus.NOT_SERVING;
  } catch {
    return HealthStatus.UNREACHABLE;
  }
}
