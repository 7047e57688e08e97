/**
 * Event-loop turns handed out one at a time. Every running task polls its files on a 200 ms timer, and timers of
 * one length that fall due together run in one batch: with 50 tasks, a request would wait behind all 50 polls. A
 * poll that first awaits its turn runs alone in it, and requests are served between two polls.
 */
const waiting: (() => void)[] = [];
let handingOut = false;

/** Resolves in a turn of the event loop of its own, after the turns asked for before. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (handingOut) return;
    handingOut = true;
    setImmediate(handOut);
  });
}

/** Lets one waiter go, whose code runs before the next immediate; the next waiter gets the turn after. */
function handOut(): void {
  const next = waiting.shift();
  if (next === undefined) {
    handingOut = false;
    return;
  }
  next();
  setImmediate(handOut);
}
