import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer, type StartedServer } from '../helpers/server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const CAP = 20;

/** A connection that sends half a request head and then nothing, as a descriptor-exhaustion attack does. */
function halfOpen(server: StartedServer): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let closed = false;
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.on('connect', () => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve({ socket, closed: () => closed });
    });
  });
}

describe('connection cap', () => {
  it('keeps answering /health under a flood of half-open connections, and never cuts a request in flight', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, {
      env: { FLEET_MCP_AUTH_ENABLED: 'true', FLEET_MCP_MAX_CONNECTIONS: String(CAP) },
    });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    const stream = new AbortController();
    const sse = await fetch(`${server.baseUrl}/sse`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: stream.signal,
    });
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    await reader.read();

    const flood: { socket: Socket; closed: () => boolean }[] = [];
    for (let i = 0; i < CAP * 3; i++) flood.push(await halfOpen(server));
    await expect.poll(() => flood.filter((entry) => entry.closed()).length).toBeGreaterThanOrEqual(CAP * 2 - 1);
    // Once the flood is a second old, a newcomer pushes the oldest quiet connection out; before that it is closed.
    const health = async (): Promise<unknown> => {
      try {
        return await (await fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(2000) })).json();
      } catch {
        return undefined;
      }
    };
    await expect.poll(health, { timeout: 10_000, interval: 100 }).toMatchObject({ status: 'healthy' });

    let streamEnded = false;
    void reader.read().then(
      ({ done }) => (streamEnded = done),
      () => (streamEnded = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(streamEnded).toBe(false);
    stream.abort();
    for (const entry of flood) entry.socket.destroy();
  });
});
