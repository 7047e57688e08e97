import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';

const FUZZ_SCRIPT = resolve(import.meta.dirname, '../../scripts/fuzz-auth.mjs');
// 10,000 values by default keep the suite quick; CI sends 100,000 once (FUZZ_COUNT, see .ci/run).
const COUNT = fuzzCount(process.env.FUZZ_COUNT);

function fuzzCount(text: string | undefined): number {
  if (text === undefined) return 10_000;
  if (!/^[1-9]\d*$/.test(text))
    throw new Error(`FUZZ_COUNT must be a whole number above zero (got ${JSON.stringify(text)})`);
  return Number(text);
}

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

interface FuzzSummary {
  sent: number;
  accepted: number;
  wronglyAccepted: number;
  wronglyRefused: number;
  serverErrors: number;
  byStatus: Record<string, number>;
}

describe('Authorization header fuzzing', () => {
  it(`accepts only the exact token and never answers 5xx over ${COUNT} generated values`, async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        [FUZZ_SCRIPT, '--url', server.mcpUrl, '--count', String(COUNT)],
        { env: { ...sandbox.env, FLEET_TOKEN: token }, maxBuffer: 1 << 20 },
        (error, stdout, stderr) => (stdout ? done(stdout) : fail(error ?? new Error(stderr))),
      );
    });
    const summary = JSON.parse(output) as FuzzSummary;
    expect(summary.sent).toBeGreaterThanOrEqual(COUNT * 0.99);
    expect(summary.wronglyAccepted).toBe(0);
    expect(summary.wronglyRefused).toBe(0);
    expect(summary.serverErrors).toBe(0);
    expect(summary.accepted).toBeGreaterThan(0);
    expect(Object.keys(summary.byStatus).sort()).toEqual(['200', '401']);
  }, 240_000);
});
