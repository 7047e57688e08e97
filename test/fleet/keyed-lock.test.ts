import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../src/fleet/keyed-lock.js';

/** An operation that records when it starts and ends, and ends only when the test says so. */
function gate(events: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const operation = async () => {
    events.push(`start ${name}`);
    await opened;
    events.push(`end ${name}`);
    return name;
  };
  return { operation, open };
}

describe('KeyedLock', () => {
  it('runs operations of one key one after another, in the order asked, and those of another key alongside', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const [a1, a2, b] = [gate(events, 'a1'), gate(events, 'a2'), gate(events, 'b')];
    const results = [
      lock.run('repo-a', a1.operation),
      lock.run('repo-a', a2.operation),
      lock.run('repo-b', b.operation),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start a1', 'start b']);

    a2.open();
    b.open();
    await results[2];
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start a1', 'start b', 'end b']);

    a1.open();
    expect(await Promise.all(results)).toEqual(['a1', 'a2', 'b']);
    expect(events).toEqual(['start a1', 'start b', 'end b', 'end a1', 'start a2', 'end a2']);
  });

  it('lets the next operation of a key run after one that failed', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('repo', () => Promise.reject(new Error('git failed')))).rejects.toThrow('git failed');
    expect(await lock.run('repo', async () => 'next')).toBe('next');
  });
});
