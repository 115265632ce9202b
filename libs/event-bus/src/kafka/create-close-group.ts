/**
 * What a bus closes when it closes: every producer and consumer it made and
 * that was not closed on its own already.
 */
export interface CloseGroup {
  readonly closed: boolean;
  /** The close function to hand out: it runs `close` once and leaves the group. */
  track(close: () => Promise<void>): () => Promise<void>;
  /** Marks the group closed and closes every member; never rejects. */
  closeAll(): Promise<PromiseSettledResult<void>[]>;
}

export function createCloseGroup(): CloseGroup {
  const members = new Set<() => Promise<void>>();
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    track(close) {
      const tracked = async () => {
        members.delete(tracked);
        await close();
      };
      members.add(tracked);
      return tracked;
    },
    closeAll() {
      closed = true;
      return Promise.allSettled([...members].map((close) => close()));
    },
  };
}
