import { describe, expect, it } from 'vitest';
import { nextTurn } from '../../src/fleet/tasks/poll-turns.js';

// Running tasks' polls, whose timers fall due together, each get an event-loop turn of their own.

describe('turns for polls', () => {
  it('are given in the order asked, one a turn: what the loop queued meanwhile runs between two', async () => {
    const seen: string[] = [];
    const turns = ['a', 'b', 'c'].map((name) => nextTurn().then(() => seen.push(name)));
    setImmediate(() => seen.push('other work'));
    await Promise.all(turns);
    expect(seen).toEqual(['a', 'other work', 'b', 'c']);
  });

  it('are given to those who ask while others wait', async () => {
    const seen: string[] = [];
    await Promise.all([
      nextTurn().then(async () => {
        seen.push('first');
        await nextTurn();
        seen.push('first again');
      }),
      nextTurn().then(() => seen.push('second')),
    ]);
    expect(seen).toEqual(['first', 'second', 'first again']);
  });
});
