// What following 10 MB of output allocates: the task runner's path (FileTail in 16 KiB steps, the text parser,
// TaskLog.append) over a 10 MB file of 95-byte lines, as the stall rows' dump prints, run under --trace-gc. The
// young-generation collections it brings are what a request may wait behind during a dump.
//
//   node scripts/bench/output-allocations.mjs [checkout]   (default: this one; another's src/ compares two builds)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = resolve(process.argv[2] ?? join(import.meta.dirname, '../..'));
const STEP_BYTES = 16 * 1024;
const RUNS = 5;

const entry = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTail } from ${JSON.stringify(join(ROOT, 'src/fleet/tasks/supervisor/file-tail.ts'))};
import { TaskLog } from ${JSON.stringify(join(ROOT, 'src/fleet/logs/task-log.ts'))};
import { createTextParser } from ${JSON.stringify(join(ROOT, 'src/fleet/tasks/output/text.ts'))};
const dir = process.argv[2];
const source = join(dir, 'stdout');
const line = 'dump line: the quick brown fox jumps over the lazy dog, again and again, until ten megabytes\\n';
writeFileSync(source, line.repeat(Math.ceil((10 * 1024 * 1024) / line.length)));
globalThis.gc();
console.log('START');
const log = new TaskLog({ file: join(dir, 'log.jsonl'), taskId: 't1', capBytes: 10 * 1024 * 1024 });
const parser = createTextParser();
const tail = new FileTail(source, 0);
do log.append('stdout', tail.read(false, Infinity, ${STEP_BYTES}).flatMap((text) => parser.stdoutLine(text)));
while (tail.more);
console.log('END');
`;

const dir = mkdtempSync(join(tmpdir(), 'output-allocations-'));
try {
  const script = join(dir, 'run.mjs');
  buildSync({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'error',
  });
  const runs = [];
  for (let run = 0; run < RUNS; run += 1) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--trace-gc', script, dir], { encoding: 'utf8' });
    const measured = out.slice(out.indexOf('START'), out.indexOf('END'));
    const scavenges = [...measured.matchAll(/Scavenge ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+)/g)];
    runs.push({
      count: scavenges.length,
      freedMB: scavenges.reduce((sum, [, before, after]) => sum + Number(before) - Number(after), 0),
      pauseMs: scavenges.reduce((sum, match) => sum + Number(match[3]), 0),
    });
  }
  const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  writeFileSync(1, `${ROOT}: 10 MB of output in ${STEP_BYTES / 1024} KiB steps, median of ${RUNS} runs: `);
  writeFileSync(
    1,
    `${median('count')} scavenges, ${median('freedMB').toFixed(1)} MB collected by them, ${median('pauseMs').toFixed(1)} ms of pauses\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
