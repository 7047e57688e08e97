import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { authHeaderValue, shouldAccept } from '../../scripts/auth-header-values.mjs';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import { bearerAuth } from '../../src/auth/bearer.js';
import { generateToken } from '../../src/auth/token.js';
import { TokenRegistry } from '../../src/auth/token-registry.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';

const FUZZ_SCRIPT = resolve(import.meta.dirname, '../../scripts/fuzz-auth.mjs');
// 10,000 values by default keep the suite quick; CI judges 100,000 once (FUZZ_COUNT, see .ci/run).
const COUNT = fuzzCount(process.env.FUZZ_COUNT);
/**
 * The bearer check judges every value in-process; a tenth also crosses the real server's HTTP parser, which is what
 * a process adds (header folding, trimming, bytes Node refuses), and that needs no more values to be seen.
 */
const HTTP_COUNT = Math.ceil(COUNT / 10);

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
  it(`the bearer check accepts only the exact token and never fails over ${COUNT} generated values`, async () => {
    const token = generateToken();
    const registry = new TokenRegistry(new AcceptedTokens({ value: token }));
    const app = new Hono()
      .use('*', bearerAuth({ realm: 'fleet-mcp', authenticate: registry.authenticate }))
      .post('/mcp', (c) => c.text('ok'));
    const wrong: { header: string; status: number }[] = [];
    for (let i = 0; i < COUNT; i++) {
      const header = authHeaderValue(token);
      const { status } = await app.request('/mcp', { method: 'POST', headers: { Authorization: header } });
      if (status !== (shouldAccept(header, token) ? 200 : 401)) wrong.push({ header, status });
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  }, 120_000);

  it(`the real server accepts only the exact token and never answers 5xx over ${HTTP_COUNT} generated values`, async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        [FUZZ_SCRIPT, '--url', server.mcpUrl, '--count', String(HTTP_COUNT)],
        { env: { ...sandbox.env, FLEET_TOKEN: token }, maxBuffer: 1 << 20 },
        (error, stdout, stderr) => (stdout ? done(stdout) : fail(error ?? new Error(stderr))),
      );
    });
    const summary = JSON.parse(output) as FuzzSummary;
    expect(summary.sent).toBeGreaterThanOrEqual(HTTP_COUNT * 0.99);
    expect(summary.wronglyAccepted).toBe(0);
    expect(summary.wronglyRefused).toBe(0);
    expect(summary.serverErrors).toBe(0);
    expect(summary.accepted).toBeGreaterThan(0);
    expect(Object.keys(summary.byStatus).sort()).toEqual(['200', '401']);
  }, 240_000);
});
