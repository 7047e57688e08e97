import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../src/fleet/logs/line-splitter.js';
import { readLogLines } from '../../src/fleet/logs/log-tail.js';
import { readTaskLogFile, TaskLog } from '../../src/fleet/logs/task-log.js';
import { FileTail } from '../../src/fleet/tasks/supervisor/file-tail.js';

const dir = mkdtempSync(join(tmpdir(), 'fleet-log-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Line i's text: mostly short, now and then a long one, NUL bytes and a replaced invalid UTF-8 byte among them. */
const textOf = (i: number): string =>
  i % 997 === 5 ? `long ${i} ${'z'.repeat(3 * MAX_LINE_CHARS)}` : `line ${i} \u0000 \ufffd ${'x'.repeat(i % 90)}`;

describe('pages of a 10 MB log file', () => {
  it('are right at its start, in its middle and at its end, and after it grows', async () => {
    const file = join(dir, 'big.jsonl');
    const log = new TaskLog({ file, taskId: 'big', capBytes: 100 * 1024 * 1024, tailLines: 100 });
    let next = 0;
    while ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) < 10 * 1024 * 1024)
      log.append(
        'stdout',
        Array.from({ length: 1000 }, () => textOf(next++)),
      );
    const all = readTaskLogFile(file);
    expect(all).toHaveLength(next);
    const page = (skip: number, count: number) => all.slice(Math.max(0, all.length - skip - count), all.length - skip);
    const middle = Math.floor(all.length / 2);
    for (const [skip, count] of [
      [0, 50],
      [1990, 20],
      [middle, 500],
      [middle + 1, 7],
      [all.length - 500, 500],
      [all.length - 3, 50],
      [all.length, 50],
    ] as const) {
      expect(await readLogLines(file, skip, count)).toEqual(page(skip, count));
      expect(await log.newest(count, skip)).toEqual(page(skip, count));
    }
    log.append('stderr', ['after the index was built']);
    expect(await readLogLines(file, all.length, 1)).toEqual([all[0]]);
    expect((await readLogLines(file, 0, 3000)).at(-1)?.text).toBe('after the index was built');
    expect((await readLogLines(file, 1, 3000)).at(-1)).toEqual(all.at(-1));
  });

  it('leave out a torn line and a half-written last line, and read a missing file as empty', async () => {
    const file = join(dir, 'torn.jsonl');
    const lines = Array.from({ length: 5000 }, (_, i) => ({ time: 't', stream: 'stdout', text: `${i}`, task_id: 'x' }));
    writeFileSync(
      file,
      `${lines
        .slice(0, 2500)
        .map((line) => JSON.stringify(line))
        .join('\n')}\n{"torn\n`,
    );
    appendFileSync(
      file,
      `${lines
        .slice(2500)
        .map((line) => JSON.stringify(line))
        .join('\n')}\n{"half`,
    );
    expect(await readLogLines(file, 2500, 3000)).toEqual(lines.slice(0, 2500));
    expect(await readLogLines(file, 0, 2500)).toEqual(lines.slice(2500));
    expect(await readLogLines(join(dir, 'missing.jsonl'), 3000, 10)).toEqual([]);
  });
});

describe('appending to a log', () => {
  it('writes each line as its JSON object, byte for byte, whatever its text and however long', () => {
    const file = join(dir, 'texts.jsonl');
    const times = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'];
    const log = new TaskLog({
      file,
      taskId: 'x"\\y',
      capBytes: 100 * 1024 * 1024,
      now: () => new Date(times.shift()!),
    });
    const texts = [
      '',
      'plain',
      'quote " backslash \\ tab \t NUL \u0000 bell \u0007',
      'é ü 漢字 🦊 and a lone \ud800 surrogate',
      '漢'.repeat(MAX_LINE_CHARS),
      '🦊'.repeat(MAX_LINE_CHARS / 2),
    ];
    log.append('stdout', texts);
    log.append('stderr', ['after']);
    const expected = [
      ...texts.map((text) => ({ time: '2026-01-01T00:00:00.000Z', stream: 'stdout', text, task_id: 'x"\\y' })),
      { time: '2026-01-01T00:00:01.000Z', stream: 'stderr', text: 'after', task_id: 'x"\\y' },
    ];
    expect(readFileSync(file, 'utf8')).toBe(expected.map((line) => `${JSON.stringify(line)}\n`).join(''));
  });
});

describe('trimming a live log', () => {
  it('keeps the newest bytes, in order, while appends go on during the trim', async () => {
    const file = join(dir, 'trimmed.jsonl');
    const cap = 256 * 1024;
    const log = new TaskLog({ file, taskId: 'trim', capBytes: cap, tailLines: 50 });
    let next = 0;
    for (let batch = 0; batch < 1500; batch++) {
      log.append(
        'stdout',
        Array.from({ length: 20 }, () => `n ${next++}`),
      );
      // Lets a trim under way copy a chunk, so more lines arrive between its steps.
      if (batch % 3 === 0) await setImmediate();
    }
    await log.trimmed();
    const live = readTaskLogFile(file);
    expect(await log.newest(Infinity)).toEqual(live);
    await log.close();
    const lines = readTaskLogFile(file);
    expect(statSync(file).size).toBeLessThanOrEqual(cap);
    const [notice, ...kept] = lines;
    const dropped = Number(/: (\d+) earlier lines were dropped\]$/.exec(notice!.text)?.[1]);
    const numbers = kept.map((line) => Number(line.text.slice(2)));
    expect(numbers).toEqual(Array.from({ length: kept.length }, (_, i) => next - kept.length + i));
    expect(dropped + kept.length).toBe(next);
    expect(lines[0]!.text).toMatch(/^\[log capped at 262144 bytes: /);
    expect(log.lineCount).toBe(lines.length);
    expect(await log.newest(Infinity)).toEqual(lines);
    // A deep page, read while the index the close started for the trimmed file may still be being built.
    const deep = lines.length - 2100;
    expect(deep).toBeGreaterThan(0);
    expect(await readLogLines(file, 2100, 50)).toEqual(lines.slice(deep - 50, deep));
  });
});

describe('following a flood of output', () => {
  it('takes it in steps of a budget, a line without a newline included', () => {
    const file = join(dir, 'flood.out');
    const noNewline = 'q'.repeat(10 * MAX_LINE_CHARS);
    writeFileSync(file, `${'a\n'.repeat(100_000)}${noNewline}`);
    const tail = new FileTail(file, 0);
    const seen: string[] = [];
    let steps = 0;
    for (;;) {
      seen.push(...tail.read(false, Infinity, 64 * 1024));
      steps += 1;
      if (!tail.more) break;
    }
    tail.close();
    expect(steps).toBeGreaterThan(3);
    expect(seen.slice(0, 100_000).every((line) => line === 'a')).toBe(true);
    const cut = seen.slice(100_000);
    expect(cut.length).toBeGreaterThanOrEqual(6);
    expect(cut.every((line) => line.length === MAX_LINE_CHARS)).toBe(true);
    expect(cut.join('')).toBe(noNewline.slice(0, cut.length * MAX_LINE_CHARS));
  });
});
