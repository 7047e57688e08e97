import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { send } from '../helpers/http-request.js';
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

/** Reads the stream until its text so far matches `pattern`; fails if the stream ends first. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!pattern.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before ${pattern}; it carried:\n${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
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
    const endpoint = /data: (\S+)/.exec(await readUntil(reader, /data: \S+\n/))![1]!;

    const flood: { socket: Socket; closed: () => boolean }[] = [];
    for (let i = 0; i < CAP * 3; i++) flood.push(await halfOpen(server));
    await expect.poll(() => flood.filter((entry) => entry.closed()).length).toBeGreaterThanOrEqual(CAP * 2 - 1);
    // Once the flood is a second old, a newcomer pushes the oldest quiet connection out; before that it is closed.
    // Each call on a connection of its own: one kept alive in a pool would be quiet between calls, and so what the
    // next newcomer may push out, just as a call goes out on it.
    const health = async (): Promise<unknown> => {
      try {
        return await (await send(`${server.baseUrl}/health`)).json();
      } catch {
        return undefined;
      }
    };
    await expect.poll(health, { timeout: 60_000, interval: 100 }).toMatchObject({ status: 'healthy' });

    // The stream still carries the session's answers: a ping posted now is answered on it.
    const ping = await send(new URL(endpoint, server.baseUrl).href, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
    });
    expect(ping.status).toBe(202);
    await readUntil(reader, /"id":7/);
    stream.abort();
    for (const entry of flood) entry.socket.destroy();
  });
});
