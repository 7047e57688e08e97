import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshClientAddress, send } from '../helpers/http-request.js';
import { rawRequest } from '../helpers/raw-http.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { expectStartFailure, killServers, startServer } from '../helpers/server.js';
import {
  type InProcessServer,
  inProcessRefusal,
  startInProcessServer,
  stopInProcessServers,
} from '../helpers/in-process-server.js';

// The guards are the HTTP app's: the server runs in this process. The first refusal to start (exit 1, one line) and
// the systemd credential are the real process's.
let server: InProcessServer;
let token: string;

beforeAll(async () => {
  const sandbox = createSandbox();
  server = await startInProcessServer(sandbox, {
    env: {
      FLEET_MCP_AUTH_ENABLED: 'true',
      FLEET_MCP_ALLOWED_HOSTS: 'fleet.example.test',
      FLEET_MCP_ALLOWED_ORIGINS: 'https://app.example.test',
    },
  });
  token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
});

afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function toolsList(headers: Record<string, string>, localAddress?: string): Promise<Response> {
  return send(server.mcpUrl, {
    method: 'POST',
    localAddress,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
}

async function expectForbidden(response: Response, mention: string): Promise<void> {
  expect(response.status).toBe(403);
  const body = (await response.json()) as { jsonrpc: string; id: null; error: { code: number; message: string } };
  expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
  expect(body.error.message).toContain(mention);
}

describe('Host and Origin guard', () => {
  const auth = (): Record<string, string> => ({ Authorization: `Bearer ${token}` });

  it('refuses a foreign Host with 403, before auth and on every path', async () => {
    await expectForbidden(await toolsList({ ...auth(), Host: 'evil.example.com' }), 'FLEET_MCP_ALLOWED_HOSTS');
    await expectForbidden(await send(`${server.baseUrl}/health`, { headers: { Host: 'evil.example.com:80' } }), 'Host');
  });

  it('judges an absolute-form request target by its own host, not by the Host header', async () => {
    const head = (target: string): Buffer =>
      Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n`, 'latin1');
    const foreign = await rawRequest(server.port, head('http://evil.example.com/health'));
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.message).toContain('request target host "evil.example.com"');
    expect((await rawRequest(server.port, head(`http://127.0.0.1:${server.port}/health`))).status).toBe(200);
    expect((await rawRequest(server.port, head('/health'))).status).toBe(200);
  });

  it('accepts loopback names on any port, and the configured extra host', async () => {
    for (const host of [
      'localhost',
      'localhost:1234',
      '127.0.0.1',
      `127.0.0.1:${server.port}`,
      '[::1]:9',
      'LOCALHOST',
      'fleet.example.test:443',
    ]) {
      expect((await toolsList({ ...auth(), Host: host })).status, host).toBe(200);
    }
  });

  it('refuses a foreign Origin with 403 and lets requests without Origin through', async () => {
    await expectForbidden(
      await toolsList({ ...auth(), Origin: 'https://evil.example.com' }),
      'FLEET_MCP_ALLOWED_ORIGINS',
    );
    await expectForbidden(await toolsList({ ...auth(), Origin: 'null' }), 'Origin');
    expect((await toolsList(auth())).status).toBe(200);
  });

  it('accepts loopback origins on any port and the configured extra origin', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1', 'https://app.example.test']) {
      expect((await toolsList({ ...auth(), Origin: origin })).status, origin).toBe(200);
    }
    await expectForbidden(await toolsList({ ...auth(), Origin: 'http://app.example.test' }), 'Origin');
    // Origins and hosts match whole, never by prefix or suffix.
    for (const origin of [
      'https://app.example.test.evil.com',
      'https://app.example.testx',
      'http://localhost.evil.com',
      'https://evil.com/https://app.example.test',
    ]) {
      await expectForbidden(await toolsList({ ...auth(), Origin: origin }), 'Origin');
    }
    await expectForbidden(await toolsList({ ...auth(), Host: 'fleet.example.test.evil.com' }), 'Host');
  });
});

describe('failed-auth throttling', () => {
  it('answers 429 from the 11th failure in a minute, and never to the valid token', async () => {
    const client = freshClientAddress();
    for (let attempt = 1; attempt <= 10; attempt++) {
      expect(
        (await toolsList({ Authorization: 'Bearer wrong-token-wrong-token-wrong-token' }, client)).status,
        `attempt ${attempt}`,
      ).toBe(401);
    }
    const throttled = await toolsList({ Authorization: 'Bearer wrong-token-wrong-token-wrong-token' }, client);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(((await throttled.json()) as { error: string }).error).toBe('too_many_attempts');
    expect((await toolsList({}, client)).status).toBe(429);
    expect((await toolsList({ Authorization: `Bearer ${token}` }, client)).status).toBe(200);
    expect((await toolsList({ Authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).status).toBe(401);
  });

  it('logs the error code and client address of a failure, never the presented value', async () => {
    const presented = 'presented-but-wrong-token-value-0123456789';
    const client = freshClientAddress();
    await toolsList({ Authorization: `Bearer ${presented}` }, client);
    const lineOf = (): string | undefined =>
      server
        .output()
        .split('\n')
        .find((text) => text.includes(`"client":"${client}"`));
    await expect.poll(lineOf).toContain('"error":"invalid_token"');
    expect(server.output()).not.toContain(presented);
  });

  it('keeps log lines short whatever the request path', async () => {
    const client = freshClientAddress();
    const path = `/${'p'.repeat(12_000)}`;
    expect((await send(`${server.baseUrl}${path}`, { localAddress: client })).status).toBe(401);
    // The line reaches us through the server's stdout pipe, which may lag the response on a busy machine.
    const lineOf = (): string | undefined =>
      server
        .output()
        .split('\n')
        .find((text) => text.includes(`"client":"${client}"`));
    await expect.poll(lineOf).toBeDefined();
    const line = lineOf();
    expect(line!.length).toBeLessThan(1000);
    expect(line).toContain('12001 characters');
  });
});

describe('request limits', () => {
  /** Sends a POST head and then as much body as the server takes; a server may close early, so write errors are expected. */
  function oversizedPost(head: string, body: Buffer): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      let received = '';
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.write(head);
      socket.end(body);
    });
  }

  it('answers 413 to a declared body over 4 MiB', async () => {
    const head =
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      `Accept: application/json, text/event-stream\r\nContent-Length: ${4 * 1024 * 1024 + 1}\r\n\r\n`;
    const response = await oversizedPost(head, Buffer.alloc(0));
    expect(response).toMatch(/^HTTP\/1\.1 413/);
    expect(response).toContain('"error":"payload_too_large"');
  });

  it('answers 413 to a chunked body that grows over 4 MiB', async () => {
    const head =
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      `Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunk = Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(0x100000, 0x20), Buffer.from('\r\n')]);
    const response = await oversizedPost(
      head,
      Buffer.concat([chunk, chunk, chunk, chunk, chunk, Buffer.from('0\r\n\r\n')]),
    );
    expect(response).toMatch(/^HTTP\/1\.1 413/);
  });

  it('answers 431 to headers over the limit', async () => {
    const response = await rawRequest(
      server.port,
      Buffer.from(`GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n`),
    );
    expect(response.status).toBe(431);
  });

  it('cuts off a client that stalls while sending headers (FLEET_MCP_HEADERS_TIMEOUT)', async () => {
    const quick = await startInProcessServer(createSandbox(), { env: { FLEET_MCP_HEADERS_TIMEOUT: '500ms' } });
    const socket = connect(quick.port, '127.0.0.1');
    const sent = Date.now();
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let received = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => (received += chunk.toString()));
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    // The setting, not the default of 10 s, cut it off: 20 times the setting is room enough for a busy machine.
    expect(Date.now() - sent).toBeLessThan(10_000);
  });
});

describe('exposure', () => {
  it('refuses to serve a non-loopback address without auth', async () => {
    const sandbox = createSandbox();
    const { code, stderr } = await expectStartFailure(sandbox, { env: { FLEET_MCP_HOST: '0.0.0.0' } });
    expect(code).toBe(1);
    expect(stderr).toContain('refusing to serve 0.0.0.0 without auth');
    expect(stderr).toContain('--allow-unauthenticated');
    // Every address other machines may reach, not only the IPv4 wildcard (the refusal comes before binding).
    for (const host of ['::', '192.0.2.10', 'fleet.example.test']) {
      await expect(startInProcessServer(createSandbox(), { env: { FLEET_MCP_HOST: host } })).rejects.toThrow(
        `refusing to serve ${host} without auth`,
      );
    }
  });

  it('serves it when the user says so and no sandboxed role has a network, with a warning', async () => {
    const sandbox = createSandbox();
    const config = join(sandbox.root, 'fleet.json');
    const command = ['sh', '-c', 'true', '{task}'];
    writeFileSync(
      config,
      JSON.stringify({ roles: { offline: { command, sandbox: { network: false } }, plain: { command } } }),
    );
    const open = await startInProcessServer(sandbox, {
      env: { FLEET_MCP_HOST: '0.0.0.0', FLEET_MCP_ALLOW_UNAUTHENTICATED: 'true', FLEET_MCP_CONFIG: config },
    });
    expect(open.output()).toContain('WITHOUT auth');
    expect((await send(`${open.baseUrl}/health`)).status).toBe(200);
    await open.stop();
  });

  it('refuses it, said so or not, while a sandboxed agent could reach it through its network', async () => {
    // Such an agent reaches the host's own addresses through pasta, and with them this server without any token.
    const sandbox = createSandbox();
    const config = join(sandbox.root, 'fleet.json');
    writeFileSync(
      config,
      JSON.stringify({ roles: { web: { command: ['sh', '-c', 'true', '{task}'], sandbox: true } } }),
    );
    const stderr = await inProcessRefusal(sandbox, {
      env: { FLEET_MCP_HOST: '0.0.0.0', FLEET_MCP_ALLOW_UNAUTHENTICATED: 'true', FLEET_MCP_CONFIG: config },
    });
    expect(stderr).toBe(
      'fleet-mcp: refusing to start: without auth on 0.0.0.0, the sandboxed agents of roles "web" could reach this ' +
        "server through the host's own addresses and start agents outside the sandbox. Enable auth " +
        '(FLEET_MCP_AUTH_ENABLED=true), bind to 127.0.0.1, or give each of those roles "sandbox": {"network": false} ' +
        'in the fleet config\n',
    );
  });

  it('serves a non-loopback address with auth on', async () => {
    const sandbox = createSandbox();
    const guarded = await startInProcessServer(sandbox, {
      env: { FLEET_MCP_HOST: '0.0.0.0', FLEET_MCP_AUTH_ENABLED: 'true' },
    });
    rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    expect((await send(`${guarded.baseUrl}/health`)).status).toBe(200);
    await guarded.stop();
  });
});

describe('systemd credential', () => {
  it('uses $CREDENTIALS_DIRECTORY/fleet-mcp-token over the token file and never writes it', async () => {
    const sandbox = createSandbox();
    const credentials = join(sandbox.root, 'credentials');
    mkdirSync(credentials, { mode: 0o700 });
    const credential = rememberSecret('credential-token-0123456789-abcdefghijklmnop');
    writeFileSync(join(credentials, 'fleet-mcp-token'), `${credential}\n`, { mode: 0o400 });
    const viaCredential = await startServer(sandbox, {
      env: { FLEET_MCP_AUTH_ENABLED: 'true', CREDENTIALS_DIRECTORY: credentials },
    });
    expect(viaCredential.ready.token_source).toBe('systemd credential');
    const status = await send(viaCredential.mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${credential}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(status.status).toBe(200);
    expect(existsSync(sandbox.tokenFile)).toBe(false);
    await viaCredential.stop();
  });
});
