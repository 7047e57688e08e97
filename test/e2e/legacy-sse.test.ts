import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LEGACY_SESSIONS } from '../../src/http/legacy-sse.js';
import { send } from '../helpers/http-request.js';
import { toolJson } from '../helpers/mcp-client.js';
import { addNamedToken } from '../helpers/named-tokens.js';
import { type InProcessServer, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';

afterAll(async () => {
  await stopInProcessServers();
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The HTTP layer is the subject here, so the server runs in this process; only the SIGTERM test needs the CLI. */
async function authServer(): Promise<{
  server: InProcessServer;
  token: string;
  sandbox: ReturnType<typeof createSandbox>;
}> {
  const sandbox = createSandbox();
  const server = await startInProcessServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
  const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  return { server, token, sandbox };
}

/** The SDK's own client for the deprecated HTTP+SSE transport, with the token on the stream and every POST. */
async function connectSse(server: { baseUrl: string }, token: string): Promise<Client> {
  const transport = new SSEClientTransport(new URL(`${server.baseUrl}/sse`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'legacy-sse-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** Opens GET /sse by hand and reads the endpoint event, which names the session's message URL. */
async function openStream(
  server: { baseUrl: string },
  token: string,
): Promise<{ endpoint: string; close: () => void }> {
  const controller = new AbortController();
  const response = await fetch(`${server.baseUrl}/sse`, {
    headers: { Authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`GET /sse answered ${response.status}`);
  const reader = response.body!.getReader();
  let text = '';
  while (!/data: (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended before its endpoint event');
    text += new TextDecoder().decode(value);
  }
  return { endpoint: /data: (\S+)/.exec(text)![1]!, close: () => controller.abort() };
}

describe('legacy HTTP+SSE (GET /sse, POST /messages)', () => {
  it('serves the SDK SSE client with the token', async () => {
    const { server, token, sandbox } = await authServer();
    const client = await connectSse(server, token);
    expect(client.getServerVersion()).toMatchObject({ name: 'fleet-mcp' });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('list_agent_projects');
    const result = await client.callTool({ name: 'list_agent_projects', arguments: {} });
    expect(toolJson(result)).toMatchObject({ projects: [{ path: sandbox.cwd }], total_count: 1 });
    await client.close();
  });

  it('needs the token on both routes, as /mcp does', async () => {
    const { server } = await authServer();
    const stream = await fetch(`${server.baseUrl}/sse`);
    expect(stream.status).toBe(401);
    expect(await stream.json()).toMatchObject({ error: 'missing_token' });
    const post = await fetch(`${server.baseUrl}/messages?sessionId=x`, {
      method: 'POST',
      headers: {
        Authorization: 'Bearer not-the-token-not-the-token-not-the-token-0',
        'Content-Type': 'application/json',
      },
      body: '{}',
    });
    expect(post.status).toBe(401);
    expect(post.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await expect(connectSse(server, 'wrong-token-wrong-token-wrong-token-wrong-00')).rejects.toThrow(
      /401|Unauthorized/i,
    );
  });

  it('is behind the same Host guard and body limit as /mcp', async () => {
    const { server, token } = await authServer();
    const foreign = await send(`${server.baseUrl}/sse`, {
      headers: { Host: 'evil.example.com', Authorization: `Bearer ${token}` },
    });
    expect(foreign.status).toBe(403);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      let received = '';
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.end(
        `POST /messages?sessionId=x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024 + 1}\r\nConnection: close\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toContain('"error":"payload_too_large"');
  });

  it('answers a message for an unknown session with a JSON 404', async () => {
    const { server, token } = await authServer();
    const response = await fetch(`${server.baseUrl}/messages?sessionId=00000000-0000-0000-0000-000000000000`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'unknown_session' });
  });

  it('binds a session to the token that opened it, and takes a chunked message body', async () => {
    const { server, token, sandbox } = await authServer();
    const otherToken = addNamedToken(sandbox, 'other', { scope: 'admin' });
    const { endpoint, close } = await openStream(server, token);
    const message = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const chunked = (auth: string): Promise<Response> =>
      fetch(`${server.baseUrl}${endpoint}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(message.slice(0, 10)));
            controller.enqueue(new TextEncoder().encode(message.slice(10)));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    await expect.poll(() => chunked(otherToken).then((response) => response.status)).toBe(404);
    expect(await (await chunked(otherToken)).json()).toMatchObject({ error: 'unknown_session' });
    expect((await chunked(token)).status).toBe(202);
    close();
  });

  it('offers a read token only the read tools, and refuses it the others', async () => {
    const { server, sandbox } = await authServer();
    const reader = addNamedToken(sandbox, 'reader', { scope: 'read' });
    // The server picks the new token up from its file; until then the stream is refused with 401.
    let client: Client | undefined;
    await expect.poll(async () => (client = await connectSse(server, reader).catch(() => undefined))).toBeDefined();
    const names = (await client!.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('list_agents');
    for (const stronger of [
      'create_agent',
      'start_agent_task',
      'delete_agent',
      'merge_agent',
      'cleanup_fleet_branches',
    ])
      expect(names).not.toContain(stronger);
    const refused = await client!.callTool({ name: 'delete_agent', arguments: { name: 'nobody' } });
    expect(refused.isError).toBe(true);
    await client!.close();
  });

  it('caps the open streams and still answers /health', async () => {
    const { server, token } = await authServer();
    const streams = await Promise.all(Array.from({ length: MAX_LEGACY_SESSIONS }, () => openStream(server, token)));
    const refused = await fetch(`${server.baseUrl}/sse`, { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'too_many_sessions' });
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    for (const stream of streams) stream.close();
    await expect
      .poll(async () => {
        const retry = await openStream(server, token).catch(() => undefined);
        retry?.close();
        return retry !== undefined;
      })
      .toBe(true);
  });

  it('ends open streams on SIGTERM instead of waiting for the clients, and exits 0', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    await connectSse(server, token);
    server.process.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"sessions":1,"msg":"closed legacy SSE streams"');
  });
});
