/** Node's timers hold at most 2^31-1 ms (about 24.8 days) and fire after 1 ms when given more. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The time, and timers on it: the system's in the server, one a test moves by hand where time is the subject. */
export interface Clock {
  now(): number;
  /**
   * Calls `callback` once, `ms` from now; a moment further than a timer can hold is not waited for whole, so the
   * caller checks the time when called and sets the next timer. Returns what cancels it.
   */
  setTimer(callback: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => {
    const timer = setTimeout(callback, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    // A timer alone does not keep the process alive: with nothing else to do, it has nothing to cut either.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
