/**
 * Which step of a job was running at a time: what the gateway's events are attributed by. The
 * gateway runs beside the sandbox and knows nothing of steps; the runner's events do, and arrive in
 * order, so the first event of each phase marks when that step began. Pure.
 */
export class StepClock {
  readonly #starts: Array<{ phase: string; ts: number }> = [];

  /** Feed the runner's events in order. */
  observe(event: { phase?: string | undefined; ts: number }): void {
    if (event.phase === undefined) return;
    const last = this.#starts.at(-1);
    if (last?.phase === event.phase) return;
    // A phase seen again after a later one (a late line of an earlier step) does not restart it.
    if (this.#starts.some((start) => start.phase === event.phase)) return;
    this.#starts.push({ phase: event.phase, ts: last === undefined ? event.ts : Math.max(event.ts, last.ts) });
  }

  /**
   * The phase of the step that had begun by `ts`; before the first step began, the first step's
   * (the gateway starts first); undefined when no step has any event.
   */
  phaseAt(ts: number): string | undefined {
    let phase = this.#starts[0]?.phase;
    for (const start of this.#starts) {
      if (start.ts > ts) break;
      phase = start.phase;
    }
    return phase;
  }
}
