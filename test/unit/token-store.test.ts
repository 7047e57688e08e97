import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTokenFileExclusive,
  ensureTokenFile,
  readTokenFile,
  rotateTokenFile,
  TokenFileError,
} from '../../src/auth/token-store.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mcp-store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'auth_token');
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('token store', () => {
  it('creates the file once and then returns the same record', () => {
    const file = tempFile();
    const first = ensureTokenFile(file);
    expect(first.created).toBe(true);
    const second = ensureTokenFile(file);
    expect(second).toEqual({ record: first.record, created: false });
    expect(readdirSync(join(file, '..'))).toEqual(['auth_token']);
  });

  it('rotates to a new value in a complete 0600 file and leaves no temp file', () => {
    const file = tempFile();
    const { record } = ensureTokenFile(file);
    const rotated = rotateTokenFile(file);
    expect(rotated.value).not.toBe(record.value);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(rotated);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(file, '..'))).toEqual(['auth_token']);
  });

  it('rotates by putting a new file in place, never by writing the old one: a reader holding it open keeps the old token', () => {
    const file = tempFile();
    const { record } = ensureTokenFile(file);
    const before = statSync(file).ino;
    const reader = openSync(file, 'r');
    try {
      rotateTokenFile(file);
      expect(statSync(file).ino).not.toBe(before);
      expect(JSON.parse(readFileSync(reader, 'utf8'))).toEqual(record);
    } finally {
      closeSync(reader);
    }
  });

  it('never replaces an existing file when creating the first token', () => {
    const file = tempFile();
    mkdirSync(join(file, '..'), { mode: 0o700 });
    const existing = `${JSON.stringify({ value: 'A'.repeat(43), created_at: '2026-01-01T00:00:00.000Z' })}\n`;
    writeFileSync(file, existing, { mode: 0o600 });
    const before = statSync(file).ino;
    expect(createTokenFileExclusive(file, { value: 'B'.repeat(43), created_at: '2026-01-02T00:00:00.000Z' })).toBe(
      false,
    );
    expect(readFileSync(file, 'utf8')).toBe(existing);
    expect(statSync(file).ino).toBe(before);
    expect(readdirSync(join(file, '..'))).toEqual(['auth_token']);
  });

  it('gives every token a fresh 256-bit value', () => {
    const file = tempFile();
    const values = new Set(Array.from({ length: 50 }, () => rotateTokenFile(file).value));
    expect(values.size).toBe(50);
    for (const value of values) expect(Buffer.from(value, 'base64url')).toHaveLength(32);
  });

  it('reports a missing file as undefined and a corrupt one as an error naming the file', () => {
    const file = tempFile();
    expect(readTokenFile(file)).toBeUndefined();
    ensureTokenFile(file);
    writeFileSync(file, '[1, 2]');
    expect(() => readTokenFile(file)).toThrow(TokenFileError);
    expect(() => readTokenFile(file)).toThrow(file);
    expect(() => ensureTokenFile(file)).toThrow(TokenFileError);
    expect(readFileSync(file, 'utf8')).toBe('[1, 2]');
  });
});
