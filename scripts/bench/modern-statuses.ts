// npx vite-node scripts/bench/modern-statuses.ts: the HTTP status createMcpHandler gives each kind of 2026-07-28
// request, beside the JSON-RPC answer the same pooled server gives on a kept connection (serveStdio with a transport
// of ours), which has no HTTP status, and what the SDK's public classification says of the request. It shows what a
// kept-connection fast path would have to decide itself. The last column hands each request to the SDK's public
// single-exchange transport, to decide the status, with its messages forwarded to and from that kept connection.
import {
  classifyInboundRequest,
  createMcpHandler,
  InMemoryServerEventBus,
  type JSONRPCRequest,
  PerRequestHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import pino from 'pino';
import type { TokenIdentity } from '../../src/auth/identity.js';
import { ModernServerPool } from '../../src/http/modern-server-pool.js';
import { createModernMcpServer } from '../../src/mcp/modern/modern-server.js';
import { TaskRegistry } from '../../src/mcp/task-registry.js';
import { Sandbox } from '../../test/fleet/helpers.js';
import { ExchangeWire } from './exchange-wire.js';

const IDENTITY: TokenIdentity = { name: 'lead', scopes: ['admin'], ratePerMinute: null };
const AUTH_INFO = { token: '', clientId: IDENTITY.name, scopes: [...IDENTITY.scopes] };
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'statuses', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Case {
  what: string;
  method: string;
  params: Record<string, unknown>;
  headers?: Record<string, string | undefined>;
}

const cases: Case[] = [
  { what: 'tools/call, success', method: 'tools/call', params: { name: 'list_agent_projects', arguments: {} } },
  {
    what: 'tools/call, tool error',
    method: 'tools/call',
    params: { name: 'show_agent', arguments: { name: 'nobody' } },
  },
  { what: 'tools/call, unknown tool', method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } },
  {
    what: 'tools/call, invalid arguments',
    method: 'tools/call',
    params: { name: 'show_agent', arguments: { name: 42 } },
  },
  { what: 'tools/list', method: 'tools/list', params: {} },
  { what: 'unknown method', method: 'no/such_method', params: {} },
  { what: 'method the revision removed (logging/setLevel)', method: 'logging/setLevel', params: { level: 'info' } },
  {
    what: 'Mcp-Name header disagrees with params.name',
    method: 'tools/call',
    params: { name: 'list_agent_projects', arguments: {} },
    headers: { 'mcp-name': 'list_agents' },
  },
  {
    what: 'Mcp-Method header missing',
    method: 'tools/call',
    params: { name: 'list_agent_projects', arguments: {} },
    headers: { 'mcp-method': undefined },
  },
  {
    what: 'MCP-Protocol-Version header missing',
    method: 'tools/call',
    params: { name: 'list_agent_projects', arguments: {} },
    headers: { 'mcp-protocol-version': undefined },
  },
];

function headersOf(c: Case): Headers {
  const headers = new Headers({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': c.method,
  });
  const name = c.params.name;
  if (typeof name === 'string') headers.set('mcp-name', name);
  for (const [key, value] of Object.entries(c.headers ?? {})) {
    if (value === undefined) headers.delete(key);
    else headers.set(key, value);
  }
  return headers;
}

class Wire extends ExchangeWire {
  /** Serves the request through a single-exchange transport of the SDK forwarding to and from this wire. */
  async perRequest(message: JSONRPCRequest, request: Request): Promise<Response> {
    const transport = new PerRequestHTTPServerTransport({ classification: { era: 'modern', revision: '2026-07-28' } });
    await transport.start();
    transport.onmessage = (inbound) => this.onmessage?.(inbound);
    this.waiting.set(message.id, (answer) => void transport.send(answer));
    return transport.handleMessage(message, { request });
  }
}

function summary(answer: unknown): string {
  const message = answer as { result?: { isError?: boolean }; error?: { code: number; message: string } };
  if (message.error) return `error ${message.error.code} ${message.error.message.slice(0, 60)}`;
  return message.result?.isError ? 'result, isError' : 'result';
}

const sandbox = new Sandbox();
const logger = pino({ level: 'warn' });
const fleet = await sandbox.fleet();
const deps = { fleet, tasks: new TaskRegistry(), events: new InMemoryServerEventBus(), logger };
const pool = new ModernServerPool({ deps, maxIdle: 4 });
const handler = createMcpHandler(() => pool.take(IDENTITY), { legacy: 'reject', bus: deps.events });
const wire = new Wire();
const server = createModernMcpServer(deps, IDENTITY);
serveStdio(() => server, { transport: wire, legacy: 'reject' });

process.stdout.write(
  '| request | createMcpHandler: status, answer | classifyInboundRequest | kept connection: answer | kept connection through PerRequestHTTPServerTransport: status |\n',
);
process.stdout.write('| --- | --- | --- | --- | --- |\n');
let id = 0;
for (const c of cases) {
  id += 1;
  const body = { jsonrpc: '2.0' as const, id, method: c.method, params: { ...c.params, _meta: ENVELOPE } };
  const request = new Request('http://127.0.0.1/mcp', { method: 'POST', headers: headersOf(c) });
  const response = await handler.fetch(request, { authInfo: AUTH_INFO, parsedBody: body });
  const http = `${response.status}, ${summary(await response.json())}`;
  const classified = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: request.headers.get('mcp-protocol-version') ?? undefined,
    mcpMethodHeader: request.headers.get('mcp-method') ?? undefined,
    mcpNameHeader: request.headers.get('mcp-name') ?? undefined,
    body,
  });
  const kept = summary(await wire.exchange(body));
  id += 1;
  const forwarded = await wire.perRequest({ ...body, id }, request);
  process.stdout.write(`| ${c.what} | ${http} | ${classified.kind} | ${kept} | ${forwarded.status} |\n`);
}
await fleet.shutdown();
sandbox.cleanup();
