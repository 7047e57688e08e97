import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000], ['10m', 600_000], ['2h', 7_200_000], ['1h30m', 5_400_000], ['1d', 86_400_000], ['250ms', 250], [' 5s ', 5000],
  ])('reads %j', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'm', '10 m', '-5s', '1.5h', 'ten minutes', '10mx'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
