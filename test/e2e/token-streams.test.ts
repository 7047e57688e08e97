import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { addNamedToken, type NamedTokenOptions, revokeToken } from '../helpers/named-tokens.js';
import { connectWatched as connect, type WatchedClient } from '../helpers/watched-client.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { createFleetSandbox, task } from '../fleet-e2e/fleet-server.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer, type StartedServer } from '../helpers/server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const CUT = 'cut requests whose token is no longer accepted';
/**
 * The bound the spec sets, between two stamps taken where they happen (the file's revoked_at or expires_at, and
 * the server's log line for the cut), so the test's own scheduling on a busy machine does not
 * count. The mechanism needs far less: the file watcher sees a change at once (fs.watch, backed by a 250 ms stat)
 * and the cut is made in the same call; an expiry has a timer of its own at that moment.
 */
const WITHIN_MS = 1000;

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

/** The server's line for a cut (of this token's requests, when named), once it has logged one. */
async function cutLine(server: StartedServer, tokenName?: string): Promise<{ cut: LogLine; before: LogLine }> {
  const isCut = (line: LogLine) =>
    line.msg === CUT && (tokenName === undefined || line.token_names?.includes(tokenName) === true);
  await expect.poll(() => logLines(server).some(isCut)).toBe(true);
  const lines = logLines(server);
  const index = lines.findIndex(isCut);
  return { cut: lines[index]!, before: lines[index - 1]! };
}

async function authServer(): Promise<{ sandbox: Sandbox; server: StartedServer; shared: string }> {
  const sandbox = createSandbox();
  const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
  const shared = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  return { sandbox, server, shared };
}

/** A named token, made in this process as `token create` makes it, once the server has read it. */
async function createToken(
  sandbox: Sandbox,
  server: StartedServer,
  name: string,
  options: NamedTokenOptions = {},
): Promise<string> {
  const token = addNamedToken(sandbox, name, options);
  await expect
    .poll(() => logLines(server).some((line) => line.msg === 'named tokens reloaded' && line.tokens?.includes(name)))
    .toBe(true);
  return token;
}

function namedRecord(sandbox: Sandbox, name: string): { revoked_at: string; expires_at: string } {
  return JSON.parse(readFileSync(join(sandbox.configDir, 'tokens.json'), 'utf8')).tokens.find(
    (token: { name: string }) => token.name === name,
  );
}

interface BriefStreams {
  name: string;
  streams: WatchedClient[];
  expiresAt: number;
}

/**
 * A token that expires `seconds` after its creation, with a Streamable HTTP and a legacy SSE stream open on it;
 * undefined, with nothing left open, when they were not both open a second before its expiry.
 */
async function openBriefStreams(
  sandbox: Sandbox,
  server: StartedServer,
  seconds: number,
): Promise<BriefStreams | undefined> {
  const name = `brief-${seconds}`;
  const token = await createToken(sandbox, server, name, { expiresInMs: seconds * 1000 });
  const expiresAt = Date.parse(namedRecord(sandbox, name).expires_at);
  const streams = (
    await Promise.allSettled([connect(server, token, 'streamable'), connect(server, token, 'sse')])
  ).flatMap((settled) => (settled.status === 'fulfilled' ? [settled.value] : []));
  // A stream cut before its answer began has ended without opening.
  const open = await Promise.all(
    streams.map((stream) => Promise.race([stream.opened.then(() => true), stream.ended.then(() => false)])),
  );
  if (streams.length === 2 && open.every(Boolean) && Date.now() < expiresAt - 1000) return { name, streams, expiresAt };
  await Promise.all(streams.map((stream) => stream.client.close()));
  return undefined;
}

describe('streams end with their token', () => {
  // One server for the named tokens' tests: each makes tokens of its own names, and reads only its own tokens' cuts.
  describe('of a named token', () => {
    let named: { sandbox: Sandbox; server: StartedServer };

    beforeAll(async () => {
      named = await authServer();
    });

    afterAll(() => named?.server.stop());

    it('revoking a named token ends its /mcp session stream and its /sse stream, no other, and its session takes no more requests', async () => {
      const { sandbox, server } = named;
      const laptop = await createToken(sandbox, server, 'laptop');
      const phone = await createToken(sandbox, server, 'phone');
      const streams = await Promise.all([
        connect(server, laptop, 'streamable'),
        connect(server, laptop, 'sse'),
        connect(server, phone, 'streamable'),
      ]);
      const [session, legacy, bystander] = streams;
      await Promise.all(streams.map((stream) => stream.opened));

      revokeToken(sandbox, 'laptop');
      const revokedAt = Date.parse(namedRecord(sandbox, 'laptop').revoked_at);
      await Promise.all([session.ended, legacy.ended]);

      const { cut, before } = await cutLine(server, 'laptop');
      expect(cut).toMatchObject({ token_names: ['laptop'], requests: 2 });
      // Cut in the reload that saw the revocation, within the bound from the file's change.
      expect(before.msg).toBe('named tokens reloaded');
      expect(cut.time - revokedAt).toBeLessThanOrEqual(WITHIN_MS);
      // Their sessions take no more requests with the token: each is refused saying why.
      await expect(session.client.listTools()).rejects.toThrow(/invalid_token.*laptop.*was revoked/);
      await expect(legacy.client.listTools()).rejects.toThrow(/HTTP 401.*invalid_token.*laptop.*was revoked/);
      // Another token's stream stays open and its session answers.
      expect((await bystander.client.listTools()).tools.length).toBeGreaterThan(0);
      expect(bystander.endedAt()).toBeUndefined();
      await bystander.client.close();
    });

    it('a named token that expires while its streams are open has them cut at its expiry', async () => {
      const { sandbox, server } = named;
      let opened: BriefStreams | undefined;
      // A machine too busy to open both streams well before the token expires gets a token that lives longer.
      // Two tries at most, so that a busy machine's run stays well inside the test's timeout.
      for (const seconds of [5, 30]) {
        opened = await openBriefStreams(sandbox, server, seconds);
        if (opened) break;
      }
      if (!opened) throw new Error('both streams never opened a second before their token expired, even at 30 s');
      const { name, streams, expiresAt } = opened;
      await Promise.all(streams.map((stream) => stream.ended));

      const { cut } = await cutLine(server, name);
      expect(cut).toMatchObject({ token_names: [name], requests: 2 });
      // Not before its moment (the token was still good), and within the bound after it.
      expect(cut.time).toBeGreaterThanOrEqual(expiresAt);
      expect(cut.time - expiresAt).toBeLessThanOrEqual(WITHIN_MS);
    });
  });

  it('revoking a named token also ends the calls its session has in flight', async () => {
    const fleet = createFleetSandbox();
    const env = {
      FLEET_MCP_AUTH_ENABLED: 'true',
      FLEET_MCP_CONFIG: fleet.configFile,
      FLEET_MCP_DATA_DIR: fleet.dataDir,
      FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
    };
    const server = await startServer(fleet.sandbox, { env });
    const ci = await createToken(fleet.sandbox, server, 'ci', { scope: 'run' });
    const session = await connect(server, ci, 'streamable');
    await session.opened;
    await session.client.callTool({
      name: 'create_agent',
      arguments: { name: 'sleeper', project: 'repo', task: task({ sleepMs: 30_000 }) },
    });
    // Asking for progress makes the answer an event stream, open from the start of the call.
    const wait = session.watchNext('"wait_for_agent"');
    const answer = session.client
      .callTool({ name: 'wait_for_agent', arguments: { name: 'sleeper', timeout_seconds: 120 } }, undefined, {
        onprogress: () => {},
        timeout: 300_000,
      })
      .catch((error: Error) => error);
    await wait.opened;

    revokeToken(fleet.sandbox, 'ci');
    const revokedAt = Date.parse(namedRecord(fleet.sandbox, 'ci').revoked_at);
    await Promise.all([session.ended, wait.ended]);
    const { cut } = await cutLine(server);
    expect(cut).toMatchObject({ token_names: ['ci'], requests: 2 });
    expect(cut.time - revokedAt).toBeLessThanOrEqual(WITHIN_MS);
    await session.client.close();
    expect(await answer).toBeInstanceOf(Error);
    // Its agents stop with the server.
    expect(await server.stop()).toBe(0);
  });

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
  });
});
