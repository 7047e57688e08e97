import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTokenUsage, UsageRecorder } from '../../src/auth/token-usage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function usageFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mcp-usage-'));
  dirs.push(dir);
  return join(dir, 'tokens-usage.json');
}

describe('UsageRecorder', () => {
  it('adds each write’s counts to what was written before, by this server or an earlier one', () => {
    const file = usageFile();
    const before = Date.now();
    const first = new UsageRecorder({
      file,
      flushMs: 3_600_000,
      onError: (error) => {
        throw error;
      },
    });
    for (let i = 0; i < 3; i += 1) first.touch('ci');
    first.touch('lead');
    first.flush();
    expect(readTokenUsage(file)).toMatchObject({ ci: { requests: 3 }, lead: { requests: 1 } });
    first.touch('ci');
    first.touch('ci');
    first.close();
    const written = readTokenUsage(file);
    expect(written).toMatchObject({ ci: { requests: 5 }, lead: { requests: 1 } });
    expect(Date.parse(written.ci!.last_used_at)).toBeGreaterThanOrEqual(before - 1000);

    const next = new UsageRecorder({
      file,
      flushMs: 3_600_000,
      onError: (error) => {
        throw error;
      },
    });
    next.touch('lead');
    next.close();
    expect(readTokenUsage(file)).toMatchObject({ ci: { requests: 5 }, lead: { requests: 2 } });
  });

  it('writes nothing when nothing was counted', () => {
    const file = usageFile();
    new UsageRecorder({
      file,
      flushMs: 3_600_000,
      onError: (error) => {
        throw error;
      },
    }).close();
    expect(readTokenUsage(file)).toEqual({});
  });
});
