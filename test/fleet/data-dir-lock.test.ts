import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir, type DataDirLock } from '../../src/fleet/data-dir-lock.js';
import { exitAfterOutput } from '../helpers/process-exit.js';

const ROUNDS = 3;
const CONTENDERS = 8;

// Each contender says it is ready and waits for "go" on stdin, so that all try at the same instant. It takes the lock, proves it is alone by creating `holder` exclusively, holds it for a moment,
// and gives it back. Two holders at once make the second exclusive create fail.
const CONTENDER = `
import { openSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir } from ${JSON.stringify(resolve('src/fleet/data-dir-lock.ts'))};
const dataDir = process.argv[2];
console.log('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
const lock = await lockDataDir(dataDir);
const holder = join(dataDir, 'holder');
try {
  closeSync(openSync(holder, 'wx'));
} catch {
  console.log('overlap');
  process.exit(2);
}
await new Promise((resolve) => setTimeout(resolve, 30));
rmSync(holder);
lock.release();
console.log('held');
`;

let dir: string;
let contender: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-mcp-lock-'));
  writeFileSync(join(dir, 'contender.ts'), CONTENDER);
  contender = join(dir, 'contender.mjs');
  await build({
    entryPoints: [join(dir, 'contender.ts')],
    outfile: contender,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'error',
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Contender {
  ready: Promise<void>;
  go: () => void;
  result: Promise<{ code: number | null; output: string }>;
}

function startContender(dataDir: string): Contender {
  const child = spawn(process.execPath, [contender, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.startsWith('ready\n')) resolve();
    });
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const result = exitAfterOutput(child).then((code) => ({ code, output: output.replace(/^ready\n/, '') }));
  return { ready: Promise.race([ready, result.then(() => undefined)]), go: () => child.stdin.end('go\n'), result };
}

describe('the data dir lock, across processes', () => {
  it.each([
    ['a dead server', JSON.stringify({ pid: 999_999_999, pid_start: '1', id: 'dead' })],
    ['a corrupt file', '{"pid": '],
  ])('is held by one process at a time when %s left it and several take it over at once', async (_, staleLock) => {
    for (let round = 0; round < ROUNDS; round++) {
      const dataDir = mkdtempSync(join(dir, 'data-'));
      writeFileSync(join(dataDir, 'server.lock'), staleLock);
      const contenders = Array.from({ length: CONTENDERS }, () => startContender(dataDir));
      await Promise.all(contenders.map((c) => c.ready));
      for (const c of contenders) c.go();
      const results = await Promise.all(contenders.map((c) => c.result));
      for (const result of results) expect(result).toEqual({ code: 0, output: 'held\n' });
    }
  });
});

describe('the data dir lock takeover, driven step by step', () => {
  it("lets a second server through only after the first finished taking over a dead server's lock", async () => {
    const dataDir = mkdtempSync(join(dir, 'data-'));
    writeFileSync(join(dataDir, 'server.lock'), JSON.stringify({ pid: 999_999_999, pid_start: '1', id: 'dead' }));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const held: string[] = [];
    const record = (name: string) => (lock: DataDirLock) => {
      held.push(name);
      return lock;
    };

    // The first server stops right before removing the dead server's lock.
    const first = lockDataDir(dataDir, {
      pauseAt: (step) => (step === 'removing-stale-lock' ? gate : Promise.resolve()),
    }).then(record('first'));
    let secondBusy!: () => void;
    const busy = new Promise<void>((resolve) => (secondBusy = resolve));
    // The second finds the takeover under way; without the takeover mutex it removes the dead lock and takes the dir.
    const second = lockDataDir(dataDir, {
      waitMs: 60_000,
      pauseAt: async (step) => (step === 'takeover-busy' ? secondBusy() : undefined),
    }).then(record('second'));
    await Promise.race([busy, second]);
    openGate();

    const firstLock = await first;
    expect(held).toEqual(['first']);
    firstLock.release();
    (await second).release();
    expect(held).toEqual(['first', 'second']);
  });
});
