import { EventEmitter } from 'node:events';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTACH_PROTOCOL } from '../../src/attach/attach-protocol.js';
import { FleetLink, type StartedFleet } from '../../src/attach/fleet-link.js';
import { createLogger } from '../../src/log.js';

// The stdio client's end of a shared fleet, against a listener the test plays: what it must never do is hand the
// MCP client's messages to a listener it cannot trust, or keep reading one that never ends its line.

/** The documented limits, written out: a test reading the constants would move with them. */
const HELLO_LIMIT = 8 * 1024;
const LINE_LIMIT = 10 * 1024 * 1024;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function dataDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'fleet-link-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'data');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** A listener on the data dir's socket that answers each hello as `reply` says, and keeps what it is sent. */
async function listener(dir: string, reply: (socket: Socket) => void): Promise<{ received: () => string }> {
  let received = '';
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    let helloDone = false;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (!helloDone && received.includes('\n')) {
        helloDone = true;
        reply(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'fleet.sock'), resolve));
  cleanups.push(() => server.close());
  return { received: () => received };
}

const noFleetStarted: () => StartedFleet = () => {
  throw new Error('the link started a fleet instead of using the listener');
};

/** A link to `dir`'s socket whose answers to the MCP client are collected; resolves each line as it comes. */
function link(dir: string): { link: FleetLink; nextLine: () => Promise<string> } {
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  const fleetLink = new FleetLink({
    socket: { path: join(dir, 'fleet.sock') },
    hello: { fleet_mcp_attach: ATTACH_PROTOCOL, cwd: '/', version: 'test' },
    startFleet: noFleetStarted,
    toClient: (line) => (waiting.length > 0 ? waiting.shift()!(line) : lines.push(line)),
    logger: createLogger({ level: 'silent' }),
  });
  cleanups.push(() => fleetLink.close());
  const nextLine = (): Promise<string> =>
    lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiting.push(resolve));
  return { link: fleetLink, nextLine };
}

const ATTACHED = `${JSON.stringify({ fleet_mcp_attached: ATTACH_PROTOCOL, version: 'test' })}\n`;
const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

describe('the stdio client’s link to the fleet socket', () => {
  it('says nothing to a root-owned socket in a data dir another user owns, and answers the call with why', async () => {
    const dir = dataDir();
    // It answers at once, so a link that trusted it would pass its answer on.
    const planted = await listener(dir, (socket) =>
      socket.write(`${ATTACHED}${JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} })}\n`),
    );
    // The socket stays root's (trusted); only the folder it lies in is another user's, who could have put it there.
    chownSync(dir, 65534, 65534);
    const { link: fleetLink, nextLine } = link(dir);
    fleetLink.fromClient(PING);
    const answer = JSON.parse(await nextLine());
    expect(answer).toMatchObject({
      id: 1,
      error: { code: -32000, message: expect.stringMatching(/data dir .* is owned by uid 65534, not by you/) },
    });
    expect(planted.received()).toBe('');
  });

  it('refuses a fleet whose answer to the hello runs past the handshake limit', async () => {
    const dir = dataDir();
    await listener(dir, (socket) => socket.write('x'.repeat(HELLO_LIMIT + 1)));
    const { link: fleetLink, nextLine } = link(dir);
    fleetLink.fromClient(PING);
    const answer = JSON.parse(await nextLine());
    expect(answer).toMatchObject({
      id: 1,
      error: {
        message: expect.stringContaining(
          `answered the attach hello wrongly: the first line is longer than ${HELLO_LIMIT} bytes`,
        ),
      },
    });
  });

  it('drops a fleet whose message line runs past 10 MiB, and answers the call in flight instead of waiting for its end', async () => {
    const dir = dataDir();
    let sentLong = false;
    await listener(dir, (socket) => {
      socket.write(ATTACHED);
      if (sentLong) return;
      sentLong = true;
      // A line just over the limit, then its end and an answer: a link without the limit would pass both on.
      socket.write(`${'x'.repeat(LINE_LIMIT + 1)}\n${JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} })}\n`);
    });
    const { link: fleetLink, nextLine } = link(dir);
    fleetLink.fromClient(PING);
    const answer = await nextLine();
    expect(answer.length).toBeLessThan(1000);
    expect(JSON.parse(answer)).toMatchObject({
      id: 1,
      error: { message: expect.stringContaining('stopped while this call ran') },
    });
  });

  it('once the client is done, waits for the answer to each request it sent, then closes the connection', async () => {
    const dir = dataDir();
    const fleet = await attachedFleet(dir);
    const { link: fleetLink, nextLine } = link(dir);
    fleetLink.fromClient(PING);
    fleetLink.fromClient(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }));
    fleetLink.fromClient(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } }),
    );
    // A 2026-07-28 listen stream stays open until cancelled: no answer to it is owed.
    fleetLink.fromClient(
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'subscriptions/listen', params: { notifications: {} } }),
    );
    let finished = false;
    const finishing = fleetLink.finish().then(() => (finished = true));
    const fleetSide = await fleet.received('subscriptions/listen');
    const fleetClosed = new Promise<void>((resolve) => fleetSide.once('end', resolve));
    fleetSide.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'other', result: {} })}\n`);
    expect(JSON.parse(await nextLine())).toMatchObject({ id: 'other' });
    expect(finished).toBe(false);
    // The cancelled request and the listen stream need no answer: the answer to the first is the last one waited for.
    fleetSide.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} })}\n`);
    expect(JSON.parse(await nextLine())).toMatchObject({ id: 1, result: {} });
    await finishing;
    await fleetClosed;
  });

  it('once the client is done, answers a request whose fleet went away with why, and does not attach again', async () => {
    const dir = dataDir();
    const fleet = await attachedFleet(dir);
    const { link: fleetLink, nextLine } = link(dir);
    fleetLink.fromClient(PING);
    const finishing = fleetLink.finish();
    (await fleet.received('"ping"')).destroy();
    expect(JSON.parse(await nextLine())).toMatchObject({
      id: 1,
      error: { message: expect.stringContaining('stopped while this call ran') },
    });
    await finishing;
    expect(fleet.hellos()).toBe(1);
  });
});

/** A fleet that attaches each client; `received` resolves with the connection once the fleet has been sent `text`. */
async function attachedFleet(
  dir: string,
): Promise<{ received: (text: string) => Promise<Socket>; hellos: () => number }> {
  let hellos = 0;
  let connection: Socket | null = null;
  const heard = new EventEmitter();
  const fleet = await listener(dir, (socket) => {
    hellos += 1;
    connection = socket;
    socket.write(ATTACHED);
    socket.on('data', () => heard.emit('data'));
    heard.emit('data');
  });
  const received = (text: string): Promise<Socket> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!connection || !fleet.received().includes(text)) return;
        heard.off('data', check);
        resolve(connection);
      };
      heard.on('data', check);
      check();
    });
  return { received, hellos: () => hellos };
}
