/**
 * Settles with what `work` settled with, or 'still waiting' if it has not
 * after `ms`: a guard that turns a hang into a clear failure, far above any
 * honest latency, not a speed target.
 */
export async function within<T>(ms: number, work: Promise<T>): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
