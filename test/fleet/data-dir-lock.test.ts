import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript } from '../helpers/bundle-script.js';
import { lockDataDir, type DataDirLock } from '../../src/fleet/data-dir-lock.js';
import { exitAfterOutput } from '../helpers/process-exit.js';

const ROUNDS = 3;
const CONTENDERS = 8;

// Each contender says it is ready, then takes part in every round: it waits for a round's data dir on stdin, so
// that all try at the same instant, takes the lock, proves it is alone by creating \`holder\` exclusively, holds it
// for a moment, and gives it back. Two holders at once make the second exclusive create fail. One process serves
// all rounds: starting Node with the lock's code cost more than the rounds themselves.
const CONTENDER = `
import { openSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { lockDataDir } from ${JSON.stringify(resolve('src/fleet/data-dir-lock.ts'))};
console.log('ready');
for await (const dataDir of createInterface({ input: process.stdin })) {
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
}
`;

let dir: string;
let contender: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-mcp-lock-'));
  contender = await bundleScript(dir, 'contender', CONTENDER);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Contender {
  /** The contender's next line of output, or what it said on stderr if it ended instead. */
  next: () => Promise<string>;
  /** Starts a round: the contender takes the lock of this data dir. */
  take: (dataDir: string) => void;
  /** Closes its stdin and resolves with its exit code. */
  end: () => Promise<number | null>;
}

function startContender(): Contender {
  const child = spawn(process.execPath, [contender], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = exitAfterOutput(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    next: async () => {
      const { value, done } = await lines.next();
      return done ? `ended: ${stderr}` : value;
    },
    take: (dataDir) => child.stdin.write(`${dataDir}\n`),
    end: () => {
      child.stdin.end();
      return exited;
    },
  };
}

describe('the data dir lock, across processes', () => {
  it.each([
    ['a dead server', JSON.stringify({ pid: 999_999_999, pid_start: '1', id: 'dead' })],
    ['a corrupt file', '{"pid": '],
  ])('is held by one process at a time when %s left it and several take it over at once', async (_, staleLock) => {
    const contenders = Array.from({ length: CONTENDERS }, startContender);
    let codes: (number | null)[];
    try {
      for (const c of contenders) expect(await c.next()).toBe('ready');
      for (let round = 0; round < ROUNDS; round++) {
        const dataDir = mkdtempSync(join(dir, 'data-'));
        writeFileSync(join(dataDir, 'server.lock'), staleLock);
        for (const c of contenders) c.take(dataDir);
        expect(await Promise.all(contenders.map((c) => c.next()))).toEqual(Array(CONTENDERS).fill('held'));
      }
    } finally {
      codes = await Promise.all(contenders.map((c) => c.end()));
    }
    expect(codes).toEqual(Array(CONTENDERS).fill(0));
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
