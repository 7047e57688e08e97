import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpServer as ModernMcpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { listenFleetSocket, type FleetSocket } from '../../src/attach/socket-server.js';
import { createLogger } from '../../src/log.js';

/** The documented limit, written out: a test reading the constant would move with it. */
const HELLO_LIMIT = 8 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fleetSocket(): Promise<{ path: string; socket: FleetSocket; hellos: unknown[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-socket-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const hellos: unknown[] = [];
  const path = join(dir, 'fleet.sock');
  const socket = await listenFleetSocket({
    path,
    createServer: () => new McpServer({ name: 'test', version: '1' }),
    createModernServer: () => new ModernMcpServer({ name: 'test', version: '1' }),
    onHello: (hello) => hellos.push(hello),
    logger: createLogger({ level: 'silent' }),
  });
  cleanups.push(() => socket.close());
  return { path, socket, hellos };
}

/** Sends `text` and resolves with everything the fleet answered once it closed the connection. */
function exchange(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(path);
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    client.on('close', () => resolve(answer));
    client.on('error', reject);
    client.write(text);
  });
}

describe('the fleet socket', () => {
  it('refuses a hello that runs past the handshake limit as soon as it does, saying so', async () => {
    const { path, hellos } = await fleetSocket();
    // No newline: without the limit the fleet would keep reading until its hello timeout.
    const answer = await exchange(path, `{"fleet_mcp_attach":1,"cwd":"/${'x'.repeat(HELLO_LIMIT)}`);
    expect(JSON.parse(answer)).toEqual({
      fleet_mcp_refused: expect.stringContaining(`the first line is longer than ${HELLO_LIMIT} bytes`),
    });
    expect(hellos).toEqual([]);
  });
});
