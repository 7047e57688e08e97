import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { freshClientAddress } from '../helpers/http-request.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer, type StartedServer } from '../helpers/server.js';

const LOAD_SCRIPT = resolve(import.meta.dirname, '../../scripts/load.mjs');

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

let sandbox: Sandbox;
let server: StartedServer;

// One server for the file: each test starts from whatever token the file holds, so none depends on another's rotation.
beforeAll(async () => {
  sandbox = createSandbox();
  // 1000 connections at once are more than the default connection cap is meant for. The headers timeout runs from
  // each connection's accept, so on a machine busy enough that the server reads the last of 1000 connections more
  // than 10 s after it accepted them, it would answer 408 for its own slowness: the test is about the 1000, not it.
  const env = {
    FLEET_MCP_AUTH_ENABLED: 'true',
    FLEET_MCP_MAX_CONNECTIONS: '2000',
    FLEET_MCP_HEADERS_TIMEOUT: '30s',
  };
  server = await startServer(sandbox, { env });
});

function tokenFile(): { value: string; previous?: { expires_at: string } } {
  return JSON.parse(readFileSync(sandbox.tokenFile, 'utf8'));
}

function currentToken(): string {
  return rememberSecret(tokenFile().value);
}

describe('load', () => {
  it('answers 1000 concurrent authenticated MCP requests, every one successfully', async () => {
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        [LOAD_SCRIPT, '--url', server.mcpUrl, '--requests', '1000'],
        { env: { ...sandbox.env, FLEET_TOKEN: currentToken() } },
        (error, stdout, stderr) => (stdout ? done(stdout) : fail(error ?? new Error(stderr))),
      );
    });
    const summary = JSON.parse(output) as { byStatus: Record<string, number>; p50_ms: number; p99_ms: number };
    expect(summary.byStatus).toEqual({ ok: 1000 });
    expect(summary.p99_ms).toBeGreaterThanOrEqual(summary.p50_ms);
  }, 120_000);
});

interface Sample {
  /** Milliseconds after the rotation finished at which the request was sent (negative: before). */
  at: number;
  /** Epoch milliseconds at which the request was sent. */
  sentAt: number;
  /** Epoch milliseconds at which its answer arrived: the server checked the token between the two. */
  answeredAt: number;
  /** Answered before the rotation began, so checked before it, whatever the load on the machine. */
  answeredBeforeRotation: boolean;
  token: 'old' | 'new';
  status: number;
}

function post(agent: Agent, url: string, token: string): Promise<number> {
  return new Promise((done) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', () => done(-1));
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }));
  });
}

/** The least grace of the rotation under load. */
const GRACE_MS = 5000;
/**
 * The grace in warm-ups: the time the first ENOUGH answers took, times this, so the grace holds several times
 * ENOUGH answers with the old token however slow the machine is (half the requests then carry the new one).
 */
const GRACE_PER_WARM_UP = 8;

/** More samples than this of each kind the test asserts on: enough to be more than luck. */
const ENOUGH = 10;

interface RotateUnderLoadOptions {
  oldToken: string;
  /** Runs once more than ENOUGH requests were answered, `warmUpMs` after the first was sent. */
  rotate: (warmUpMs: number) => Promise<string>;
  /** Whether the samples so far are enough to judge by: counted in requests, not in time, so a slow machine runs longer. */
  enough: (samples: Sample[]) => boolean;
}

/**
 * 50 clients, each from its own address, send requests in a loop; once more than ENOUGH requests have been answered
 * `rotate` runs, and once it has finished they alternate between the old and the new token until `enough` says so.
 * Returns every request's outcome, timed from the end of the rotation.
 */
async function rotateUnderLoad(
  server: StartedServer,
  { oldToken, rotate, enough }: RotateUnderLoadOptions,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  let rotationStarted = false;
  let rotatedAt: number | undefined;
  let newToken: string | undefined;
  let stop = false;
  let warmedUp!: () => void;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  const firstSentAt = Date.now();
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: freshClientAddress() });
    for (let i = 0; !stop; i++) {
      const useNew = newToken !== undefined && i % 2 === 0;
      const sentAt = Date.now();
      const status = await post(agent, server.mcpUrl, useNew ? newToken! : oldToken);
      samples.push({
        at: sentAt - (rotatedAt ?? Infinity),
        sentAt,
        answeredAt: Date.now(),
        answeredBeforeRotation: !rotationStarted,
        token: useNew ? 'new' : 'old',
        status,
      });
      if (samples.length > ENOUGH) warmedUp();
      if (rotatedAt !== undefined && enough(samples)) stop = true;
    }
    agent.destroy();
  };
  const clients = Array.from({ length: 50 }, client);
  await warm;
  rotationStarted = true;
  newToken = await rotate(Date.now() - firstSentAt);
  rotatedAt = Date.now();
  await Promise.all(clients);
  return samples;
}

function count(samples: Sample[], which: (sample: Sample) => boolean): number {
  return samples.filter(which).length;
}

describe('rotation under load', () => {
  it('never answers 5xx; within a second the new token works and the old one is refused', async () => {
    const settled = (sample: Sample) => sample.at >= 1000;
    const samples = await rotateUnderLoad(server, {
      oldToken: currentToken(),
      rotate: async () => rememberSecret((await runCli(sandbox, ['token', 'rotate'])).stdout.trim()),
      enough: (samples) =>
        count(samples, (sample) => settled(sample) && sample.token === 'new') > ENOUGH &&
        count(samples, (sample) => settled(sample) && sample.token === 'old') > ENOUGH,
    });
    expect(samples.filter((sample) => sample.status >= 500 || sample.status < 0)).toEqual([]);
    const beforeRotation = samples.filter((sample) => sample.answeredBeforeRotation);
    expect(beforeRotation.length).toBeGreaterThan(ENOUGH);
    expect(beforeRotation.filter((sample) => sample.status !== 200)).toEqual([]);
    const after = samples.filter(settled);
    expect(after.filter((sample) => sample.token === 'new' && sample.status !== 200)).toEqual([]);
    expect(after.filter((sample) => sample.token === 'old' && sample.status === 200)).toEqual([]);
  });

  it('with --grace accepts the old token until the grace ends, then refuses it', async () => {
    let expiresAt = Infinity;
    let graceMs = GRACE_MS;
    const samples = await rotateUnderLoad(server, {
      oldToken: currentToken(),
      rotate: async (warmUpMs) => {
        graceMs = Math.max(GRACE_MS, Math.ceil(warmUpMs * GRACE_PER_WARM_UP));
        const token = rememberSecret(
          (await runCli(sandbox, ['token', 'rotate', '--grace', `${graceMs}ms`])).stdout.trim(),
        );
        expiresAt = Date.parse(tokenFile().previous!.expires_at);
        return token;
      },
      enough: (samples) => count(samples, (sample) => sample.token === 'old' && sample.sentAt > expiresAt) > ENOUGH,
    });
    expect(samples.filter((sample) => sample.status >= 500 || sample.status < 0)).toEqual([]);
    const old = samples.filter((sample) => sample.token === 'old');
    // Answered before the grace ended means checked before it ended, however slow the machine is.
    const beforeEnd = old.filter((sample) => sample.answeredAt < expiresAt);
    const afterEnd = old.filter((sample) => sample.sentAt > expiresAt);
    // Sent once the CLI had written the rotation (its stamp, not the CLI's exit: on a busy machine the CLI can take
    // most of the grace to exit).
    const rotatedAt = expiresAt - graceMs;
    expect(beforeEnd.filter((sample) => sample.sentAt >= rotatedAt).length).toBeGreaterThan(ENOUGH);
    expect(beforeEnd.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(afterEnd.length).toBeGreaterThan(ENOUGH);
    expect(afterEnd.filter((sample) => sample.status === 200)).toEqual([]);
    expect(samples.filter((sample) => sample.token === 'new' && sample.at >= 1000 && sample.status !== 200)).toEqual(
      [],
    );
  });
});
