import type { Clock } from '../../src/clock.js';

/**
 * Time that moves only when the test says, firing the timers that come due on the way. Like Node's, its timers
 * reach at most `maxTimerMs` ahead; one set further fires then.
 */
export class ManualClock implements Clock {
  private timers = new Set<{ at: number; callback: () => void }>();

  constructor(
    private time = Date.parse('2026-01-01T00:00:00Z'),
    private readonly maxTimerMs = 2 ** 31 - 1,
  ) {}

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, ms: number): () => void {
    const timer = { at: this.time + Math.min(ms, this.maxTimerMs), callback };
    this.timers.add(timer);
    return () => void this.timers.delete(timer);
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due);
      this.time = due.at;
      due.callback();
    }
    this.time = target;
  }
}
