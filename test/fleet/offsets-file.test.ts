import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OffsetsFile } from '../../src/fleet/tasks/supervisor/offsets-file.js';
import { readOffsets, runFiles } from '../../src/fleet/tasks/supervisor/run-files.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-offsets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the offsets file of a running task', () => {
  it('reads back the last offsets saved, over longer ones and over a file an earlier server wrote', () => {
    const files = runFiles(join(dir, 'task.run'));
    mkdirSync(files.dir);
    // As a server that wrote a new file and renamed it in left it: JSON with no padding.
    const earlier = { stdout: 9_007_199_254_740_991, stderr: 9_007_199_254_740_991 };
    writeFileSync(files.offsets, JSON.stringify(earlier));
    expect(readOffsets(files)).toEqual(earlier);

    const offsets = new OffsetsFile(files.offsets);
    for (const saved of [
      { stdout: 7, stderr: 0 },
      { stdout: 123_456_789_012, stderr: 44 },
      { stdout: 123_456_789_013, stderr: 5 },
      { stdout: 8, stderr: 0 },
    ]) {
      offsets.save(saved);
      expect(readOffsets(files)).toEqual(saved);
    }
    offsets.close();
    expect(readFileSync(files.offsets)).toHaveLength(64);
  });
});
