import { describe, expect, it } from 'vitest';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import { generateToken, isValidToken } from '../../src/auth/token.js';

describe('tokens', () => {
  it('are 43 base64url characters', () => {
    for (let i = 0; i < 100; i++) expect(generateToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never start with "-", so no CLI reads one as an option', () => {
    // A plain draw starts with "-" once in 64: among 10,000 draws at least one would, but for odds of e^-156.
    const tokens = Array.from({ length: 10_000 }, generateToken);
    expect(tokens.filter((token) => token.startsWith('-'))).toEqual([]);
    expect(new Set(tokens.map((token) => token[0])).size).toBe(63);
  });

  it('match only the exact value, whatever the length presented', () => {
    const token = generateToken();
    const matches = new AcceptedTokens({ value: token }).verify;
    expect(matches(token)).toBe(true);
    for (const other of ['', 'a', token.slice(1), `${token}x`, token.toUpperCase(), 'x'.repeat(10_000)]) {
      expect(matches(other)).toBe(false);
    }
  });

  it('match neither a value padded with the zero bytes they are compared with, nor one whose bytes only look alike', () => {
    const token = generateToken();
    const matches = new AcceptedTokens({ value: token }).verify;
    for (const other of [
      `${token}\0`,
      `${token}${'\0'.repeat(300)}`,
      `${token.slice(0, -1)}${String.fromCharCode(0x100 + token.charCodeAt(42))}`,
    ]) {
      expect(matches(other)).toBe(false);
    }
    expect(matches(token), 'after longer values were presented').toBe(true);
  });

  it('longer than the width they are compared over still match only themselves', () => {
    const long = `${'a'.repeat(299)}b`;
    const matches = new AcceptedTokens({
      value: long,
      previous: { value: generateToken(), expires_at: new Date(Date.now() + 60_000).toISOString() },
    }).verify;
    expect(matches(long)).toBe(true);
    for (const other of [long.slice(0, 256), long.slice(0, -1), `${long}a`, `${long}\0`, 'a'.repeat(300)])
      expect(matches(other)).toBe(false);
  });

  it('during a grace period accept the current and the previous token, and nothing else', () => {
    const [current, previous, stranger] = [generateToken(), generateToken(), generateToken()];
    const inGrace = new AcceptedTokens({
      value: current,
      previous: { value: previous, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(inGrace.verify(current)).toBe(true);
    expect(inGrace.verify(previous)).toBe(true);
    for (const other of [stranger, '', `${previous}x`, previous.slice(1)]) expect(inGrace.verify(other)).toBe(false);
    const ended = new AcceptedTokens({
      value: current,
      previous: { value: previous, expires_at: new Date(Date.now() - 1).toISOString() },
    });
    expect(ended.verify(previous)).toBe(false);
    expect(ended.verify(stranger)).toBe(false);
    expect(ended.verify(current)).toBe(true);
  });

  it('accept secret-manager tokens of at least 32 RFC 6750 characters', () => {
    expect(isValidToken('A'.repeat(32))).toBe(true);
    expect(isValidToken(`${'a+/'.repeat(11)}==`)).toBe(true);
    expect(isValidToken('A'.repeat(31))).toBe(false);
    expect(isValidToken(`${'A'.repeat(40)} x`)).toBe(false);
    expect(isValidToken(`${'A'.repeat(40)}=A`)).toBe(false);
  });
});
