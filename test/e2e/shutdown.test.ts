import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer, type StartedServer } from '../helpers/server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const body = JSON.stringify({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'list_agent_projects', arguments: {} },
});

/**
 * Opens a POST /mcp whose body is only half sent, so the request stays in flight until `finish` is called.
 * `Expect: 100-continue` makes the server confirm it has taken the request up before the test goes on.
 */
async function openHalfRequest(server: StartedServer, token: string): Promise<{ finish: () => Promise<string> }> {
  const socket: Socket = connect(server.port, '127.0.0.1');
  let response = '';
  const ended = new Promise<string>((resolve) => {
    socket.once('close', () => resolve(response));
    socket.once('error', () => resolve(response));
  });
  const continued = new Promise<void>((resolve) =>
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString();
      if (response.includes('100 Continue')) resolve();
    }),
  );
  socket.write(
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await continued;
  socket.write(body.slice(0, 20));
  response = '';
  return {
    finish: () => {
      socket.write(body.slice(20));
      return ended;
    },
  };
}

function waitForLog(server: StartedServer, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (server.output().includes(text) ? resolve() : void setTimeout(check, 20));
    check();
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('graceful shutdown of serve', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s stops accepting, finishes the request in flight and exits 0',
    async (signal) => {
      const sandbox = createSandbox();
      const server = await startServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
      const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
      const request = await openHalfRequest(server, token);

      server.process.kill(signal);
      await waitForLog(server, 'shutting down');
      expect(await refusesConnections(server.port), server.output()).toBe(true);

      const response = await request.finish();
      expect(response, server.output()).toMatch(/^HTTP\/1\.1 200 /);
      expect(response).toContain('"id":7');
      expect(await server.exited, server.output()).toBe(0);
      expect(server.output().trimEnd().split('\n').at(-1)).toContain('"msg":"stopped"');
    },
  );

  it('drops a request that never completes once the grace period (FLEET_MCP_SHUTDOWN_GRACE) is over, and still exits 0', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, {
      env: { FLEET_MCP_AUTH_ENABLED: 'true', FLEET_MCP_SHUTDOWN_GRACE: '300ms' },
    });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    await openHalfRequest(server, token);
    server.process.kill('SIGTERM');
    expect(await server.exited, server.output()).toBe(0);
    // The grace configured, not the default 10 s, is what ended the request.
    expect(server.output()).toMatch(
      /"grace_ms":300,.*"msg":"dropped the requests still in flight when the grace ended"/,
    );
  });
});
