import { readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { send } from '../helpers/http-request.js';
import { type InProcessServer, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { connectClient } from '../helpers/mcp-client.js';
import { addNamedToken, namedTokensFile, revokeToken } from '../helpers/named-tokens.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const AUTH_ON = { FLEET_MCP_AUTH_ENABLED: 'true' };
const READ_TOOLS = [
  'list_agent_projects',
  'list_agent_roles',
  'list_agents',
  'show_agent',
  'show_agent_changes',
  'show_agent_log',
  'show_agent_task_history',
  'wait_for_agent',
];
const RUN_TOOLS = [...READ_TOOLS, 'cancel_agent_task', 'create_agent', 'restart_agent', 'start_agent_task'];
const ALL_TOOLS = [...RUN_TOOLS, 'cleanup_fleet_branches', 'delete_agent', 'merge_agent'];

async function createToken(sandbox: Sandbox, name: string, ...flags: string[]): Promise<string> {
  const result = await runCli(sandbox, ['token', 'create', name, ...flags]);
  expect(result, result.stderr).toMatchObject({ code: 0 });
  expect(result.stdout).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}\n$/);
  return rememberSecret(result.stdout.trim());
}

// Each request from a fresh loopback address, so refusals of a revoked or expired token never meet the failed-auth throttle.
function post(server: InProcessServer, token: string, message: object): Promise<Response> {
  return send(server.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...message }),
  });
}

const listTools = { method: 'tools/list', params: {} };

async function toolNames(server: InProcessServer, token: string): Promise<string[]> {
  const client = await connectClient(server.mcpUrl, token);
  const { tools } = await client.listTools();
  await client.close();
  return tools.map((tool) => tool.name).sort();
}

/**
 * The token checks are the subject, not the server's process: it runs in this one, and the tokens are made in this
 * one; the tests above run the token commands.
 */
async function authServer(): Promise<{ sandbox: Sandbox; server: InProcessServer; shared: string }> {
  const sandbox = createSandbox();
  const server = await startInProcessServer(sandbox, { env: AUTH_ON });
  const shared = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  return { sandbox, server, shared };
}

describe('named tokens on the command line', () => {
  it('create prints the token once and stores only its hash, in a 0600 file', async () => {
    const sandbox = createSandbox();
    const token = await createToken(sandbox, 'ci', '--scope', 'read,run', '--expires', '30d', '--rate-limit', '100');
    const file = namedTokensFile(sandbox);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    const stored = JSON.parse(text).tokens[0];
    expect(stored).toMatchObject({
      name: 'ci',
      scopes: ['read', 'run'],
      hint: token.slice(-4),
      revoked_at: null,
      rate_per_minute: 100,
    });
    expect(Date.parse(stored.expires_at) - Date.parse(stored.created_at)).toBe(30 * 86_400_000);
  });

  it('refuses an existing name, a bad name, an unknown scope and a bad expiry with one line each', async () => {
    const sandbox = createSandbox();
    await createToken(sandbox, 'laptop');
    for (const [args, words] of [
      [['laptop'], 'a token named "laptop" exists'],
      [['Bad Name'], 'is not allowed'],
      [['shared'], 'is not allowed'],
      [['other', '--scope', 'read,root'], '--scope must be'],
      [['other', '--expires', 'soon'], '--expires must be'],
      [['other', '--rate-limit', '0'], '--rate-limit must be'],
    ] as const) {
      const result = await runCli(sandbox, ['token', 'create', ...args]);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(words);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('list shows names, scopes, status and a masked form, never a value', async () => {
    const sandbox = createSandbox();
    await runCli(sandbox, ['token', 'rotate']);
    const shared = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    const reader = await createToken(sandbox, 'reader');
    const gone = await createToken(sandbox, 'gone', '--scope', 'admin');
    expect((await runCli(sandbox, ['token', 'revoke', 'gone'])).code).toBe(0);
    const plain = await runCli(sandbox, ['token', 'list']);
    const json = await runCli(sandbox, ['token', 'list', '--json']);
    for (const output of [plain.stdout, json.stdout]) {
      for (const value of [shared, reader, gone]) expect(output).not.toContain(value);
    }
    expect(plain.stdout).toContain(`****${reader.slice(-4)}`);
    expect(JSON.parse(json.stdout)).toMatchObject([
      { name: 'shared', scopes: ['admin'], status: 'active', token: `****${shared.slice(-4)}` },
      { name: 'reader', scopes: ['read'], status: 'active', expires_at: null },
      { name: 'gone', scopes: ['admin'], status: 'revoked' },
    ]);
  });
});

describe('scopes', () => {
  it('shows each token only the tools its scope allows; the shared token is admin', async () => {
    const { sandbox, server, shared } = await authServer();
    const reader = addNamedToken(sandbox, 'reader', { scope: 'read' });
    const runner = addNamedToken(sandbox, 'runner', { scope: 'run' });
    const admin = addNamedToken(sandbox, 'boss', { scope: 'admin' });
    await expect.poll(() => post(server, admin, listTools).then((response) => response.status)).toBe(200);
    expect(await toolNames(server, reader)).toEqual(READ_TOOLS.sort());
    expect(await toolNames(server, runner)).toEqual(RUN_TOOLS.sort());
    expect(await toolNames(server, admin)).toEqual(ALL_TOOLS.sort());
    expect(await toolNames(server, shared)).toEqual(ALL_TOOLS.sort());
  });

  it("refuses a tool call beyond the token's scope with 403 insufficient_scope naming the scope", async () => {
    const { sandbox, server } = await authServer();
    const reader = addNamedToken(sandbox, 'reader');
    const runner = addNamedToken(sandbox, 'runner', { scope: 'run' });
    await expect.poll(() => post(server, runner, listTools).then((response) => response.status)).toBe(200);
    const cases = [
      [reader, 'create_agent', 'run'],
      [reader, 'delete_agent', 'admin'],
      [runner, 'delete_agent', 'admin'],
    ] as const;
    for (const [token, tool, scope] of cases) {
      const response = await post(server, token, {
        method: 'tools/call',
        params: { name: tool, arguments: { name: 'a', project: 'p', task: 't' } },
      });
      expect(response.status, tool).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer realm="fleet-mcp", error="insufficient_scope", scope="${scope}"`,
      );
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({
        error: 'insufficient_scope',
        scope,
        error_description: expect.stringContaining(`"${scope}" scope`),
      });
    }
    // A batch is refused whole when any call in it is out of scope.
    const batch = await send(server.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${reader}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_agents', arguments: {} } },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'create_agent', arguments: {} } },
      ]),
    });
    expect(batch.status).toBe(403);
    const allowed = await post(server, reader, {
      method: 'tools/call',
      params: { name: 'list_agents', arguments: {} },
    });
    expect(allowed.status).toBe(200);
    await expect.poll(server.output).toContain('"token_name":"reader","tool":"create_agent","needed_scope":"run"');
  });
});

describe('revocation, expiry and limits', () => {
  it('refuses a revoked token within a second, under load, saying it was revoked', async () => {
    const { sandbox, server, shared } = await authServer();
    const token = addNamedToken(sandbox, 'leaked', { scope: 'run' });
    await expect.poll(() => post(server, token, listTools).then((response) => response.status)).toBe(200);
    const seen: { sentAt: number; status: number }[] = [];
    let revokedAt = Infinity;
    // Sent more than a second after the revocation: the server must refuse every one.
    const late = (): { sentAt: number; status: number }[] => seen.filter((entry) => entry.sentAt > revokedAt + 1000);
    let loadRunning!: () => void;
    const running = new Promise<void>((resolve) => (loadRunning = resolve));
    // Counted in requests, not in time: a slow machine runs longer instead of sending too few to judge by.
    const load = Array.from({ length: 8 }, async () => {
      while (late().length < 10) {
        const sentAt = Date.now();
        const response = await post(server, token, listTools);
        seen.push({ sentAt, status: response.status });
        await response.arrayBuffer();
        if (seen.length >= 8) loadRunning();
      }
    });
    await running;
    revokeToken(sandbox, 'leaked');
    revokedAt = Date.now();
    await Promise.all(load);
    expect(late().filter((entry) => entry.status !== 401)).toEqual([]);
    expect(seen.some((entry) => entry.status === 200)).toBe(true);
    expect(seen.every((entry) => entry.status === 200 || entry.status === 401)).toBe(true);
    const refused = await post(server, token, listTools);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="fleet-mcp", error="invalid_token"');
    expect((await refused.json()) as object).toMatchObject({
      error: 'invalid_token',
      error_description: expect.stringMatching(/was revoked at .*`fleet-mcp token show`/),
    });
    expect((await post(server, shared, listTools)).status).toBe(200);
  });

  it('refuses an expired token as invalid_token saying it expired', async () => {
    const { sandbox, server } = await authServer();
    const token = addNamedToken(sandbox, 'brief', { expiresInMs: 3000 });
    await expect.poll(() => post(server, token, listTools).then((response) => response.status)).toBe(200);
    await expect
      .poll(() => post(server, token, listTools).then((response) => response.status), { timeout: 6000 })
      .toBe(401);
    const body = (await (await post(server, token, listTools)).json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_token');
    expect(body.error_description).toContain('expired');
    expect(body.error_description).not.toContain('shared');
  });

  it('holds a token to its rate limit with 429 and Retry-After, never touching other tokens', async () => {
    const { sandbox, server, shared } = await authServer();
    const limited = addNamedToken(sandbox, 'limited', { ratePerMinute: 5 });
    const free = addNamedToken(sandbox, 'free');
    await expect.poll(() => post(server, free, listTools).then((response) => response.status)).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(server, limited, listTools)).status);
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(5);
    const over = await post(server, limited, listTools);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await over.json()).toMatchObject({ error: 'rate_limited' });
    for (let i = 0; i < 10; i++) {
      expect((await post(server, free, listTools)).status).toBe(200);
      expect((await post(server, shared, listTools)).status).toBe(200);
    }
    expect(
      server
        .output()
        .split('\n')
        .filter((line) => line.includes('token over its rate limit')),
    ).toHaveLength(1);
  });
});

describe('who did what', () => {
  it('logs tool calls that change agents with the token name, and counts use for token list', async () => {
    const { sandbox, server } = await authServer();
    const runner = addNamedToken(sandbox, 'runner', { scope: 'run' });
    await expect.poll(() => post(server, runner, listTools).then((response) => response.status)).toBe(200);
    await post(server, runner, {
      method: 'tools/call',
      params: { name: 'cancel_agent_task', arguments: { name: 'nobody' } },
    });
    await expect
      .poll(server.output)
      .toContain('"token_name":"runner","tool":"cancel_agent_task","agent":"nobody","msg":"tool called"');
    await server.stop();
    const rows = JSON.parse((await runCli(sandbox, ['token', 'list', '--json'])).stdout) as {
      name: string;
      requests: number;
      last_used_at: string | null;
    }[];
    const row = rows.find((entry) => entry.name === 'runner')!;
    expect(row.requests).toBeGreaterThanOrEqual(2);
    expect(row.last_used_at).not.toBeNull();
  });
});
