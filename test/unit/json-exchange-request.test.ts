import { describe, expect, it } from 'vitest';
import { jsonExchangeOf } from '../../src/http/json-exchange-request.js';

// Which stateless requests may go to a reused server. Whatever is not plain goes to a fresh server and the SDK's
// own transport, so a reused server never holds a caller's capabilities and never owes anyone a stream.

function post(body: unknown, headers: Record<string, string> = {}): [Request, unknown] {
  const request = new Request('http://127.0.0.1/mcp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  return [request, body];
}

const call = (id: number, params: Record<string, unknown> = { name: 'list_agents', arguments: {} }) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params,
});

describe('jsonExchangeOf', () => {
  it('takes plain requests, alone or in a batch with notifications, and lists their ids in order', () => {
    expect(jsonExchangeOf(...post(call(1)))?.requestIds).toEqual([1]);
    const batch = [
      call('b' as never),
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'x' } },
      call(3),
    ];
    expect(jsonExchangeOf(...post(batch))?.requestIds).toEqual(['b', 3]);
  });

  it('never takes an initialize, so no client capabilities or protocol version reach a reused server', () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: { sampling: {} },
        clientInfo: { name: 'c', version: '1' },
      },
    };
    expect(jsonExchangeOf(...post(initialize))).toBeUndefined();
    expect(jsonExchangeOf(...post([call(2), initialize]))).toBeUndefined();
  });

  it('leaves what needs an event stream to the SDK: progress, tasks, and answers from the client', () => {
    expect(
      jsonExchangeOf(...post(call(1, { name: 'wait_for_agent', arguments: {}, _meta: { progressToken: 5 } }))),
    ).toBeUndefined();
    expect(
      jsonExchangeOf(...post(call(1, { name: 'wait_for_agent', arguments: {}, task: { ttl: 1000 } }))),
    ).toBeUndefined();
    expect(
      jsonExchangeOf(...post({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { taskId: 't' } })),
    ).toBeUndefined();
    expect(
      jsonExchangeOf(
        ...post(call(1, { name: 'x', _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't' } } })),
      ),
    ).toBeUndefined();
    expect(jsonExchangeOf(...post({ jsonrpc: '2.0', id: 1, result: {} }))).toBeUndefined();
  });

  it('leaves to the SDK what it would refuse or answer without a server: bad headers, bad JSON-RPC, no requests, repeated ids', () => {
    expect(jsonExchangeOf(...post(call(1), { accept: 'application/json' }))).toBeUndefined();
    expect(jsonExchangeOf(...post(call(1), { 'content-type': 'text/plain' }))).toBeUndefined();
    expect(jsonExchangeOf(...post(call(1), { 'mcp-protocol-version': '1999-01-01' }))).toBeUndefined();
    expect(jsonExchangeOf(...post({ jsonrpc: '2.0', id: 1 }))).toBeUndefined();
    expect(jsonExchangeOf(...post([]))).toBeUndefined();
    expect(jsonExchangeOf(...post({ jsonrpc: '2.0', method: 'notifications/initialized' }))).toBeUndefined();
    expect(jsonExchangeOf(...post([call(1), call(1)]))).toBeUndefined();
    expect(jsonExchangeOf(...post(Array.from({ length: 101 }, (_, i) => call(i))))).toBeUndefined();
    expect(jsonExchangeOf(new Request('http://127.0.0.1/mcp'), undefined)).toBeUndefined();
  });
});
