/** A sleep that a poke ends early; a poke while awake makes the next sleep return at once. */
export interface Wakeup {
  sleep(ms: number): Promise<void>;
  poke(): void;
}
