import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readNamedTokens } from '../../src/auth/named-token-store.js';
import { ensureTokenFile, readTokenFile } from '../../src/auth/token-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const RECORD = JSON.stringify({ value: 'k'.repeat(43), created_at: '2026-01-01T00:00:00Z' });

function tokenFile(fileMode = 0o600, dirMode = 0o700): string {
  const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-perm-'));
  dirs.push(root);
  const dir = join(root, 'tokens');
  mkdirSync(dir);
  chmodSync(dir, dirMode);
  const file = join(dir, 'auth_token');
  writeFileSync(file, RECORD);
  chmodSync(file, fileMode);
  return file;
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

// Every single permission bit of group and other, so a mask loosened by one bit is caught.
const GROUP_OTHER_BITS = [0o040, 0o020, 0o010, 0o004, 0o002, 0o001];

describe('token file permissions, checked like OpenSSH checks private keys', () => {
  it.each(GROUP_OTHER_BITS.map((bit) => [octal(0o600 | bit)]))('refuses a token file with mode %s', (mode) => {
    const file = tokenFile(Number.parseInt(mode, 8));
    // Write bits are refused before the file is read; read bits once it turns out to be a JSON record.
    const how = Number.parseInt(mode, 8) & 0o022 ? 'writable by' : 'open to';
    expect(() => readTokenFile(file)).toThrow(
      `token file ${file} is ${how} other users (mode ${mode}); fix it with: chmod 600 ${file}`,
    );
  });

  it.each(['0600', '0400'])('accepts a token file with mode %s', (mode) => {
    expect(readTokenFile(tokenFile(Number.parseInt(mode, 8)))?.value).toBe('k'.repeat(43));
  });

  it.each(['0720', '0702', '0770', '0707', '0777'])('refuses a token directory with mode %s', (mode) => {
    const file = tokenFile(0o600, Number.parseInt(mode, 8));
    const dir = join(file, '..');
    expect(() => readTokenFile(file)).toThrow(
      `directory ${dir} of the token file is writable by other users (mode ${mode}); fix it with: chmod 700 ${dir}`,
    );
    expect(() => ensureTokenFile(join(dir, 'other_token'))).toThrow(
      `directory ${dir} of the token file is writable by other users`,
    );
  });

  it.each(['0700', '0750', '0755', '1777'])('accepts a token directory with mode %s (root owns it)', (mode) => {
    expect(readTokenFile(tokenFile(0o600, Number.parseInt(mode, 8)))?.value).toBe('k'.repeat(43));
  });

  it('accepts a token file root owns, and refuses one another user owns', () => {
    const file = tokenFile();
    chownSync(file, 0, 0);
    expect(readTokenFile(file)?.value).toBe('k'.repeat(43));
    chownSync(file, 65534, 65534);
    expect(() => readTokenFile(file)).toThrow(`token file ${file} is owned by uid 65534, not by you (uid 0) or root`);
  });

  it('refuses a sticky directory another user owns, advising a move and not chmod', () => {
    const file = tokenFile(0o600, 0o1777);
    const dir = join(file, '..');
    chownSync(dir, 65534, 65534);
    let message = '';
    try {
      readTokenFile(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `directory ${dir} of the token file is a shared directory (mode 1777) owned by uid 65534, who could replace the token file; move the token file to a directory you own`,
    );
    expect(message).not.toContain('chmod');
  });
});

describe('named tokens file permissions', () => {
  // The file holds digests only, but who can read them can try guesses offline, and who can write them can add a token.
  function namedTokensFile(mode: number): string {
    const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-perm-'));
    dirs.push(root);
    const file = join(root, 'tokens.json');
    writeFileSync(file, JSON.stringify({ version: 1, tokens: [] }));
    chmodSync(file, mode);
    return file;
  }

  it.each(GROUP_OTHER_BITS.map((bit) => [octal(0o600 | bit)]))('refuses a named tokens file with mode %s', (mode) => {
    const file = namedTokensFile(Number.parseInt(mode, 8));
    expect(() => readNamedTokens(file)).toThrow(
      `named tokens file ${file} is open to other users (mode ${mode}); fix it with: chmod 600 ${file}`,
    );
  });

  it('refuses 0644, the mode a file copied in place with a default umask gets, and accepts 0600', () => {
    expect(() => readNamedTokens(namedTokensFile(0o644))).toThrow('is open to other users (mode 0644)');
    expect(readNamedTokens(namedTokensFile(0o600))).toEqual([]);
  });
});
