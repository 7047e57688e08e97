import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

async function serverWithToken(): Promise<{ sandbox: Sandbox; server: StartedServer; token: string }> {
  const sandbox = createSandbox();
  // 1000 connections at once are more than the default connection cap is meant for.
  const server = await startServer(sandbox, {
    env: { FLEET_MCP_AUTH_ENABLED: 'true', FLEET_MCP_MAX_CONNECTIONS: '2000' },
  });
  const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  return { sandbox, server, token };
}

describe('load', () => {
  it('answers 1000 concurrent authenticated MCP requests, every one successfully', async () => {
    const { sandbox, server, token } = await serverWithToken();
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        [LOAD_SCRIPT, '--url', server.mcpUrl, '--requests', '1000'],
        { env: { ...sandbox.env, FLEET_TOKEN: token } },
        (error, stdout, stderr) => (stdout ? done(stdout) : fail(error ?? new Error(stderr))),
      );
    });
    const summary = JSON.parse(output) as { ok: number; failed: number; p50_ms: number; p99_ms: number };
    expect(summary).toMatchObject({ ok: 1000, failed: 0 });
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

/**
 * 50 clients, each from its own address, send requests in a loop; once `rotate` has finished they alternate
 * between the old and the new token. Returns every request's outcome, timed from the end of the rotation.
 */
async function rotateUnderLoad(
  server: StartedServer,
  oldToken: string,
  rotate: () => Promise<string>,
  runForMs: number,
): Promise<{ samples: Sample[]; rotationStartedAt: number }> {
  const samples: Sample[] = [];
  let rotatedAt: number | undefined;
  let newToken: string | undefined;
  let stopAt = Infinity;
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: freshClientAddress() });
    for (let i = 0; Date.now() < stopAt; i++) {
      const useNew = newToken !== undefined && i % 2 === 0;
      const sentAt = Date.now();
      const status = await post(agent, server.mcpUrl, useNew ? newToken! : oldToken);
      samples.push({
        at: sentAt - (rotatedAt ?? Infinity),
        sentAt,
        answeredAt: Date.now(),
        token: useNew ? 'new' : 'old',
        status,
      });
    }
    agent.destroy();
  };
  const clients = Array.from({ length: 50 }, client);
  await new Promise((done) => setTimeout(done, 1000));
  const rotationStartedAt = Date.now();
  newToken = await rotate();
  rotatedAt = Date.now();
  stopAt = rotatedAt + runForMs;
  await Promise.all(clients);
  return { samples, rotationStartedAt };
}

describe('rotation under load', () => {
  it('never answers 5xx; within a second the new token works and the old one is refused', async () => {
    const { sandbox, server, token } = await serverWithToken();
    const { samples, rotationStartedAt } = await rotateUnderLoad(
      server,
      token,
      async () => rememberSecret((await runCli(sandbox, ['token', 'rotate'])).stdout.trim()),
      2000,
    );
    expect(samples.filter((sample) => sample.status >= 500 || sample.status < 0)).toEqual([]);
    // A request answered before the rotation began was checked before it, whatever the load on the machine.
    const beforeRotation = samples.filter((sample) => sample.answeredAt < rotationStartedAt);
    expect(beforeRotation.length).toBeGreaterThan(10);
    expect(beforeRotation.filter((sample) => sample.status !== 200)).toEqual([]);
    const settled = samples.filter((sample) => sample.at >= 1000);
    expect(settled.filter((sample) => sample.token === 'new').length).toBeGreaterThan(10);
    expect(settled.filter((sample) => sample.token === 'new' && sample.status !== 200)).toEqual([]);
    expect(settled.filter((sample) => sample.token === 'old' && sample.status === 200)).toEqual([]);
  }, 60_000);

  it('with --grace accepts the old token until the grace ends, then refuses it', async () => {
    const { sandbox, server, token } = await serverWithToken();
    const { samples } = await rotateUnderLoad(
      server,
      token,
      async () => rememberSecret((await runCli(sandbox, ['token', 'rotate', '--grace', '5s'])).stdout.trim()),
      6500,
    );
    const expiresAt = Date.parse(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).previous.expires_at);
    expect(samples.filter((sample) => sample.status >= 500 || sample.status < 0)).toEqual([]);
    const old = samples.filter((sample) => sample.token === 'old');
    // Answered before the grace ended means checked before it ended, however slow the machine is.
    const beforeEnd = old.filter((sample) => sample.answeredAt < expiresAt);
    const afterEnd = old.filter((sample) => sample.sentAt > expiresAt);
    expect(beforeEnd.filter((sample) => sample.at >= 0).length).toBeGreaterThan(10);
    expect(beforeEnd.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(afterEnd.length).toBeGreaterThan(10);
    expect(afterEnd.filter((sample) => sample.status === 200)).toEqual([]);
    expect(samples.filter((sample) => sample.token === 'new' && sample.at >= 1000 && sample.status !== 200)).toEqual(
      [],
    );
  }, 60_000);
});
