import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from '../../src/fleet/logs/line-splitter.js';
import { readTaskLogTail } from '../../src/fleet/logs/log-tail.js';
import { LINE_OVERHEAD_BYTES, readTaskLogFile, TaskLog } from '../../src/fleet/logs/task-log.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LineSplitter', () => {
  it('joins lines across chunks, keeps split multi-byte characters, drops CR of CRLF', async () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('héllo\r\nwor');
    expect(splitter.push(bytes.subarray(0, 2))).toEqual([]);
    expect(splitter.push(bytes.subarray(2))).toEqual(['héllo']);
    expect(splitter.push(Buffer.from('ld\nlast'))).toEqual(['world']);
    expect(splitter.end()).toEqual(['last']);
  });

  it('cuts a line that never ends', async () => {
    const splitter = new LineSplitter();
    const lines = splitter.push(Buffer.from('x'.repeat(MAX_LINE_CHARS * 2 + 5)));
    expect(lines.map((line) => line.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS]);
    expect(splitter.end()).toEqual(['xxxxx']);
  });
});

describe('TaskLog', () => {
  it('drops the oldest lines past the cap, says so first, and leaves the file matching', async () => {
    const file = join(dir, 'capped.jsonl');
    const log = new TaskLog({ file, taskId: 't1', capBytes: 5_000 });
    for (let i = 0; i < 200; i++) log.append('stdout', [`line ${i}`]);
    await log.close();
    const lines = await log.newest(Infinity);
    expect(lines[0]).toMatchObject({
      stream: 'system',
      text: expect.stringMatching(/^\[log capped at 5000 bytes: \d+ earlier lines were dropped\]$/),
    });
    expect(lines.at(-1)?.text).toBe('line 199');
    expect(lines.length).toBe(log.lineCount);
    expect(lines.length).toBeLessThan(200);
    expect(readTaskLogFile(file)).toEqual(lines);
  });

  it('keeps every line under the cap', async () => {
    const file = join(dir, 'small.jsonl');
    const log = new TaskLog({ file, taskId: 't2', capBytes: 1_000_000 });
    log.append('stderr', ['a', 'b']);
    await log.close();
    expect(readTaskLogFile(file).map((line) => [line.stream, line.text])).toEqual([
      ['stderr', 'a'],
      ['stderr', 'b'],
    ]);
  });

  it('keeps only a bounded tail in memory, by line count, while the whole capped log stays on disk and readable', async () => {
    const file = join(dir, 'many.jsonl');
    const log = new TaskLog({ file, taskId: 't3', capBytes: 100 * 1024 * 1024, tailBytes: 1e12, tailLines: 1000 });
    for (let batch = 0; batch < 50; batch++)
      log.append(
        'stdout',
        Array.from({ length: 1000 }, (_, i) => String((batch * 1000 + i) % 100)),
      );
    expect(log.memory.lines).toBe(1000);
    const lines = await log.newest(Infinity);
    expect(lines).toHaveLength(50_000);
    expect(log.lineCount).toBe(50_000);
    expect(lines.at(-1)?.text).toBe('99');
    await log.close();
    expect(readTaskLogFile(file)).toEqual(lines);
  });

  it('counts a per-line overhead in the memory budget, so a flood of tiny lines stays within it', async () => {
    const log = new TaskLog({
      file: join(dir, 'tiny.jsonl'),
      taskId: 't4',
      capBytes: 100 * 1024 * 1024,
      tailBytes: 100_000,
      tailLines: 1e9,
    });
    for (let batch = 0; batch < 20; batch++)
      log.append(
        'stdout',
        Array.from({ length: 1000 }, () => 'ab'),
      );
    // Counting the 2 bytes of text only, all 20,000 lines (40 KB) would fit the 100 KB budget.
    expect(log.memory.lines).toBeLessThanOrEqual(Math.floor(100_000 / LINE_OVERHEAD_BYTES));
    expect(log.memory.bytes).toBeLessThanOrEqual(100_000);
    expect(await log.newest(Infinity)).toHaveLength(20_000);
  });

  it('bounds memory by bytes for long lines, and trims the file to the cap with the newest lines', async () => {
    const file = join(dir, 'long.jsonl');
    const log = new TaskLog({ file, taskId: 't5', capBytes: 1_000_000, tailBytes: 300_000, tailLines: 1e9 });
    for (let i = 0; i < 100; i++) log.append('stdout', [`${i} ${'y'.repeat(50_000)}`]);
    expect(log.memory.bytes).toBeLessThanOrEqual(300_000);
    expect(log.memory.lines).toBeLessThanOrEqual(3);
    await log.close();
    const lines = readTaskLogFile(file);
    expect(lines[0]?.text).toMatch(/^\[log capped at 1000000 bytes: \d+ earlier lines were dropped\]$/);
    expect(lines.at(-1)?.text.startsWith('99 ')).toBe(true);
    expect(statSync(file).size).toBeLessThanOrEqual(1_000_000);
    expect(await log.newest(Infinity)).toEqual(lines);
    expect(log.lineCount).toBe(lines.length);
  });
});

describe('the tail of a log file', () => {
  it('reads the newest lines from the end, across chunks and lines longer than a chunk, skipping a torn line', async () => {
    const file = join(dir, 'tail.jsonl');
    const log = new TaskLog({ file, taskId: 't3', capBytes: 50_000_000 });
    const texts = Array.from({ length: 3000 }, (_, i) =>
      i % 500 === 7 ? `long ${i} ${'y'.repeat(150_000)}` : `line ${i}`,
    );
    for (const text of texts) log.append('stdout', [text]);
    appendFileSync(file, '{"time":"torn');
    const all = readTaskLogFile(file);
    for (const count of [1, 2, 50, 994, 2999, 3000, 5000]) {
      expect(await readTaskLogTail(file, count)).toEqual(all.slice(-count));
      expect(await log.newest(count)).toEqual((await log.newest(Infinity)).slice(-count));
    }
    expect(await readTaskLogTail(join(dir, 'missing.jsonl'), 10)).toEqual([]);
  });

  it('includes the dropped-lines notice of a capped live log only when the tail reaches back to it', async () => {
    const log = new TaskLog({ file: join(dir, 'capped-tail.jsonl'), taskId: 't4', capBytes: 5_000 });
    for (let i = 0; i < 200; i++) log.append('stdout', [`line ${i}`]);
    await log.trimmed();
    const kept = await log.newest(Infinity);
    expect(await log.newest(3)).toEqual(kept.slice(-3));
    expect(await log.newest(kept.length + 10)).toEqual(kept);
    expect((await log.newest(kept.length))[0]!.stream).toBe('system');
  });
});
