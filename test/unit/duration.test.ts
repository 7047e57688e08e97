import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, parseDuration } from '../../src/duration.js';

/** The most a Node timer can wait; setTimeout fires after 1 ms when given more. */
const NODE_TIMER_MAX_MS = 2 ** 31 - 1;

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    [' 5s ', 5000],
    ['24d', 24 * 86_400_000],
    ['23d23h59m59s999ms', 24 * 86_400_000 - 1],
  ])('reads %j', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'm', '10 m', '-5s', '1.5h', 'ten minutes', '10mx'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each(['25d', '24d1ms', '30d', '576h1ms', '99999999999h', `${'9'.repeat(400)}d`])(
    'refuses %j, longer than a Node timer can wait',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('caps below what a Node timer can hold', () => {
    expect(MAX_DURATION_MS).toBeLessThan(NODE_TIMER_MAX_MS);
    expect(parseDuration('24d')).toBe(MAX_DURATION_MS);
  });
});
