import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import { generateToken } from '../../src/auth/token.js';
import { watchTokenFile, type TokenWatcher } from '../../src/auth/token-watcher.js';
import { createLogger } from '../../src/log.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function writeRecord(file: string, value: string): void {
  writeFileSync(file, JSON.stringify({ value, created_at: new Date().toISOString() }), { mode: 0o600 });
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the token watcher', () => {
  it('sees, by its periodic stat alone, a token replaced where fs.watch on the token path cannot see it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-watch-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    // The token path is a link into another directory: fs.watch follows the link's directory, not the target's.
    const linkDir = join(root, 'config');
    const targetDir = join(root, 'secrets');
    mkdirSync(linkDir, { mode: 0o700 });
    mkdirSync(targetDir, { mode: 0o700 });
    const target = join(targetDir, 'token.json');
    const first = generateToken();
    writeRecord(target, first);
    const file = join(linkDir, 'auth_token');
    symlinkSync(target, file);

    const tokens = new AcceptedTokens({ value: first });
    const watcher: TokenWatcher = watchTokenFile({ file, tokens, logger: createLogger({ level: 'silent' }) });
    cleanups.push(watcher.close);

    const second = generateToken();
    const temp = join(targetDir, 'token.json.new');
    writeRecord(temp, second);
    renameSync(temp, target);

    // The default poll (a fraction of a second) must pick it up; an hour-long poll would never.
    await eventually(() => tokens.verify(second), 5000);
    expect(tokens.verify(first)).toBe(false);
  });
});
