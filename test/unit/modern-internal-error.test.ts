import { Writable } from 'node:stream';
import { InMemoryServerEventBus, type ServerEvent } from '@modelcontextprotocol/server';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { TokenIdentity } from '../../src/auth/identity.js';
import { createModernHandler } from '../../src/http/modern-mcp.js';
import { TaskRegistry } from '../../src/mcp/task-registry.js';
import { Sandbox } from '../fleet/helpers.js';

// The SDK answers 500 where serving a 2026-07-28 request throws. Nothing a client sends makes the server's own parts
// throw there, so the SDK's event bus is made to: a bus that cannot take a subscriber fails subscriptions/listen.

const sandbox = new Sandbox();
afterAll(() => sandbox.cleanup());

class BrokenBus extends InMemoryServerEventBus {
  override subscribe(_listener: (event: ServerEvent) => void): () => void {
    throw new TypeError('the bus cannot take a subscriber at /srv/secret/path');
  }
}

interface LogLine {
  level: number;
  msg: string;
  error_id?: string;
  token_name?: string;
  err?: { message: string; stack: string };
}

const IDENTITY: TokenIdentity = { name: 'lead', scopes: ['admin'], ratePerMinute: null };

const INTERNAL = /^internal error \(id ([0-9a-f-]{36})\); the server's log has the details$/;

function envelope(clientInfo: unknown = { name: 'test', version: '1' }): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': clientInfo,
    'io.modelcontextprotocol/clientCapabilities': {},
  };
}

function post(body: { method: string }): Request {
  return new Request('http://127.0.0.1/mcp', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': '2026-07-28',
      'Mcp-Method': body.method,
    },
    body: JSON.stringify(body),
  });
}

describe('the 2026-07-28 handler', () => {
  it('logs the fault behind a 500 at error level with an id its answer carries, and a refusal at debug', async () => {
    const lines: LogLine[] = [];
    let lineWritten = (): void => {};
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as LogLine);
        lineWritten();
        done();
      },
    });
    // The handler logs a refusal once the turn that answered it has ended, not before its answer.
    const logged = (msg: string): Promise<void> =>
      new Promise((resolve) => {
        lineWritten = () => {
          if (lines.at(-1)?.msg === msg) resolve();
        };
        lineWritten();
      });
    const logger = pino({ level: 'debug' }, sink);
    const fleet = await sandbox.fleet();
    const handler = createModernHandler({ fleet, tasks: new TaskRegistry(), events: new BrokenBus(), logger }, logger);

    // Resource list changes, which the server sends: a stream asking only for what it never sends takes no subscriber.
    const listen = {
      jsonrpc: '2.0',
      id: 1,
      method: 'subscriptions/listen',
      params: { _meta: envelope(), notifications: { resourcesListChanged: true } },
    };
    const failed = await handler.fetch(post(listen), IDENTITY, listen, undefined);
    expect(failed.status).toBe(500);
    const answer = (await failed.json()) as { error: { code: number; message: string } };
    expect(answer.error.code).toBe(-32603);
    const id = INTERNAL.exec(answer.error.message)?.[1];
    expect(id, answer.error.message).toBeDefined();
    const errors = lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      error_id: id,
      token_name: 'lead',
      err: { message: expect.stringContaining('cannot take a subscriber') },
    });
    expect(errors[0]!.err!.stack).toMatch(/\n\s+at /);

    const refused = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: envelope(5) } };
    const refusal = await handler.fetch(post(refused), IDENTITY, refused, undefined);
    expect(refusal.status).toBe(400);
    expect(((await refusal.json()) as { error: { message: string } }).error.message).toContain(
      'Invalid _meta envelope',
    );
    await logged('MCP 2026-07-28 request refused');
    expect(lines.filter((line) => line.level >= 50)).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ level: 20, msg: 'MCP 2026-07-28 request refused' });
    await fleet.shutdown();
  });
});
