import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer, type StartedServer } from '../helpers/server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const CUT = 'cut requests whose token is no longer accepted';
/**
 * The bound the spec sets, between two stamps the processes take themselves (the CLI's revoked_at or the file's
 * expires_at, and the server's log line for the cut), so the test's own scheduling on a busy machine does not
 * count. The mechanism needs far less: the file watcher sees a change at once (fs.watch, backed by a 250 ms stat)
 * and the cut is made in the same call; an expiry has a timer of its own at that moment.
 */
const WITHIN_MS = 1000;

interface WatchedStream {
  client: Client;
  /** Settles when the server-to-client stream is open. */
  opened: Promise<void>;
  /** Settles, with the time, when that stream has ended. */
  ended: Promise<number>;
  endedAt: () => number | undefined;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  try {
    while (!(await reader.read()).done);
  } catch {
    // Cut off: ended all the same.
  }
}

/** A fetch for the SDK client that lets the test see the client's first GET (its stream) open and end. */
function watchingFetch(): { fetch: typeof fetch; opened: Promise<void>; ended: Promise<number> } {
  let open!: () => void;
  let end!: (at: number) => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const ended = new Promise<number>((resolve) => (end = resolve));
  let watching = false;
  const watched: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if ((init?.method ?? 'GET') !== 'GET' || watching || response.status !== 200 || !response.body) return response;
    watching = true;
    const [forClient, forTest] = response.body.tee();
    open();
    void drain(forTest).then(() => end(Date.now()));
    return new Response(forClient, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: watched, opened, ended };
}

/** The real SDK client over Streamable HTTP or the legacy HTTP+SSE transport, its stream watched. */
async function connect(server: StartedServer, token: string, kind: 'streamable' | 'sse'): Promise<WatchedStream> {
  const watch = watchingFetch();
  const requestInit = { headers: { Authorization: `Bearer ${token}` } };
  const transport =
    kind === 'streamable'
      ? new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit, fetch: watch.fetch })
      : new SSEClientTransport(new URL(`${server.baseUrl}/sse`), { requestInit, fetch: watch.fetch });
  const client = new Client({ name: 'token-streams-test', version: '1.0.0' });
  // A cut stream is retried by the SDK with the same token and refused; that is what the test expects.
  client.onerror = () => {};
  await client.connect(transport);
  let endedAt: number | undefined;
  void watch.ended.then((at) => (endedAt = at));
  return { client, opened: watch.opened, ended: watch.ended, endedAt: () => endedAt };
}

interface LogLine {
  msg: string;
  time: number;
  token_names?: string[];
  requests?: number;
  tokens?: string[];
}

function logLines(server: StartedServer): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The server's line for a cut, once it has logged one. */
async function cutLine(server: StartedServer): Promise<{ cut: LogLine; before: LogLine }> {
  await expect.poll(() => logLines(server).some((line) => line.msg === CUT)).toBe(true);
  const lines = logLines(server);
  const index = lines.findIndex((line) => line.msg === CUT);
  return { cut: lines[index]!, before: lines[index - 1]! };
}

async function authServer(): Promise<{ sandbox: Sandbox; server: StartedServer; shared: string }> {
  const sandbox = createSandbox();
  const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
  const shared = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  return { sandbox, server, shared };
}

async function createToken(sandbox: Sandbox, server: StartedServer, name: string, ...flags: string[]): Promise<string> {
  const result = await runCli(sandbox, ['token', 'create', name, ...flags]);
  expect(result, result.stderr).toMatchObject({ code: 0 });
  const token = rememberSecret(result.stdout.trim());
  await expect.poll(() => logLines(server).some((line) => line.msg === 'named tokens reloaded' && line.tokens?.includes(name))).toBe(true);
  return token;
}

function namedRecord(sandbox: Sandbox, name: string): { revoked_at: string; expires_at: string } {
  return JSON.parse(readFileSync(join(sandbox.configDir, 'tokens.json'), 'utf8')).tokens.find((token: { name: string }) => token.name === name);
}

describe('streams end with their token', () => {
  it('revoking a named token ends its /mcp session stream and its /sse stream, no other, and its session takes no more requests', async () => {
    const { sandbox, server } = await authServer();
    const laptop = await createToken(sandbox, server, 'laptop');
    const phone = await createToken(sandbox, server, 'phone');
    const streams = await Promise.all([connect(server, laptop, 'streamable'), connect(server, laptop, 'sse'), connect(server, phone, 'streamable')]);
    const [session, legacy, bystander] = streams;
    await Promise.all(streams.map((stream) => stream.opened));

    expect(await runCli(sandbox, ['token', 'revoke', 'laptop'])).toMatchObject({ code: 0 });
    const revokedAt = Date.parse(namedRecord(sandbox, 'laptop').revoked_at);
    await Promise.all([session.ended, legacy.ended]);

    const { cut, before } = await cutLine(server);
    expect(cut).toMatchObject({ token_names: ['laptop'], requests: 2 });
    // Cut in the reload that saw the revocation, within the bound from the file's change.
    expect(before.msg).toBe('named tokens reloaded');
    expect(cut.time - revokedAt).toBeLessThanOrEqual(WITHIN_MS);
    await expect(session.client.listTools()).rejects.toThrow(/invalid_token.*laptop.*was revoked/);
    await expect(legacy.client.listTools()).rejects.toThrow(/invalid_token.*laptop.*was revoked|401/);
    // Another token's stream stays open and its session answers.
    expect((await bystander.client.listTools()).tools.length).toBeGreaterThan(0);
    expect(bystander.endedAt()).toBeUndefined();
    await bystander.client.close();
  }, 30_000);

  it('a named token that expires while its streams are open has them cut at its expiry', async () => {
    const { sandbox, server } = await authServer();
    const brief = await createToken(sandbox, server, 'brief', '--expires', '5s');
    const streams = await Promise.all([connect(server, brief, 'streamable'), connect(server, brief, 'sse')]);
    await Promise.all(streams.map((stream) => stream.opened));
    await Promise.all(streams.map((stream) => stream.ended));

    const expiresAt = Date.parse(namedRecord(sandbox, 'brief').expires_at);
    const { cut } = await cutLine(server);
    expect(cut).toMatchObject({ token_names: ['brief'], requests: 2 });
    // Not before its moment (the token was still good), and within the bound after it.
    expect(cut.time).toBeGreaterThanOrEqual(expiresAt);
    expect(cut.time - expiresAt).toBeLessThanOrEqual(WITHIN_MS);
  }, 30_000);

  it('a rotated shared token keeps its streams through the grace period and loses them when it ends', async () => {
    const { sandbox, server, shared } = await authServer();
    const old = await connect(server, shared, 'streamable');
    await old.opened;
    const rotated = await runCli(sandbox, ['token', 'rotate', '--grace', '3s']);
    expect(rotated.code).toBe(0);
    const next = rememberSecret(rotated.stdout.trim());
    await expect.poll(() => logLines(server).some((line) => line.msg === 'token reloaded')).toBe(true);
    const graceEnd = Date.parse(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).previous.expires_at);
    // The reload itself cuts nothing: the old token is good until its grace ends.
    expect(logLines(server).some((line) => line.msg === CUT)).toBe(false);

    await old.ended;
    const { cut } = await cutLine(server);
    expect(cut).toMatchObject({ token_names: ['shared'], requests: 1 });
    expect(cut.time).toBeGreaterThanOrEqual(graceEnd);
    expect(cut.time - graceEnd).toBeLessThanOrEqual(WITHIN_MS);
    const fresh = await connect(server, next, 'streamable');
    expect((await fresh.client.listTools()).tools.length).toBeGreaterThan(0);
    await fresh.client.close();
  }, 30_000);
});
