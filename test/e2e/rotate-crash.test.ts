import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleScript } from '../helpers/bundle-script.js';

const KILLS = 16;
/** Independent token files killed side by side: a busy machine takes seconds to start each rotator. */
const LANES = 4;
/** 16 Node starts: a ceiling for a hang, far above the minute they take on a busy machine. */
const CEILING_MS = 300_000;

// Rotates the token file over and over once it has said "ready", so a kill lands inside a rotation almost every
// time, rather than in Node's start-up as it mostly did when each kill was a whole `token rotate` command.
const ROTATOR = `
import { rotateTokenFile } from ${JSON.stringify(resolve('src/auth/token-store.ts'))};
const file = process.argv[2];
rotateTokenFile(file);
process.stdout.write('ready\\n', () => {
  for (;;) rotateTokenFile(file);
});
`;

let dir: string;
let rotator: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-mcp-rotate-crash-'));
  rotator = await bundleScript(dir, 'rotator', ROTATOR);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the rotator and SIGKILLs it `delayMs` after it has begun rotating, wherever it is. */
function rotateAndKill(tokenFile: string, delayMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [rotator, tokenFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.once('exit', (_, signal) =>
      signal === 'SIGKILL' ? done() : fail(new Error(`rotator ended by itself:\n${output}`)),
    );
  });
}

describe('a token rotation killed with SIGKILL at random moments', () => {
  it(
    `leaves a valid 0600 token file every time, over ${KILLS} kills, some of them mid-write`,
    async () => {
      const lane = async (tokenDir: string): Promise<number> => {
        const tokenFile = join(tokenDir, 'auth_token');
        for (let i = 0; i < KILLS / LANES; i++) {
          await rotateAndKill(tokenFile, Math.random() * 20);
          const record = JSON.parse(readFileSync(tokenFile, 'utf8')) as { value: string };
          expect(record.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
          expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
        }
        return readdirSync(tokenDir).filter((name) => name.endsWith('.tmp')).length;
      };
      const lanes = Array.from({ length: LANES }, (_, i) => lane(join(dir, `config-${i}`)));
      // A temp file left behind is a kill that landed after the new token was being written and before it was put
      // in place: without some, no kill tested the window where a plain write would leave a torn file.
      const killedMidWrite = (await Promise.all(lanes)).reduce((sum, n) => sum + n, 0);
      expect(killedMidWrite).toBeGreaterThan(0);
    },
    CEILING_MS,
  );
});
