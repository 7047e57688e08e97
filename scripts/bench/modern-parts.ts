// npx vite-node scripts/bench/modern-parts.ts: process CPU per tools/call list_agent_projects, in this process, for
// the ways the SDKs can serve it, on the same fleet, interleaved. No HTTP: what the eras differ by is MCP serving.
import { createMcpHandler, InMemoryServerEventBus, classifyInboundRequest } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import pino from 'pino';
import type { TokenIdentity } from '../../src/auth/identity.js';
import { jsonAnswer, jsonExchangeOf } from '../../src/http/json-exchange-request.js';
import { McpServerPool } from '../../src/http/mcp-server-pool.js';
import { createModernHandler } from '../../src/http/modern-mcp.js';
import { ModernServerPool } from '../../src/http/modern-server-pool.js';
import { createModernMcpServer } from '../../src/mcp/modern/modern-server.js';
import { TaskRegistry } from '../../src/mcp/task-registry.js';
import { Sandbox } from '../../test/fleet/helpers.js';
import { ExchangeWire } from './exchange-wire.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CALLS = Number(process.env.BENCH_CALLS ?? 3000);
const CONCURRENT = 10;
const IDENTITY: TokenIdentity = { name: 'lead', scopes: ['admin'], ratePerMinute: null };
const AUTH_INFO = { token: '', clientId: IDENTITY.name, scopes: [...IDENTITY.scopes] };
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const MODERN_HEADERS = {
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'list_agent_projects',
};

let lastId = 0;
function call(modern: boolean): { jsonrpc: '2.0'; id: number; method: 'tools/call'; params: Record<string, unknown> } {
  lastId += 1;
  const params = { name: 'list_agent_projects', arguments: {}, ...(modern ? { _meta: ENVELOPE } : {}) };
  return { jsonrpc: '2.0', id: lastId, method: 'tools/call', params };
}

function post(modern: boolean): Request {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(modern ? MODERN_HEADERS : {}),
  };
  return new Request('http://127.0.0.1/mcp', { method: 'POST', headers });
}

const sandbox = new Sandbox();
const logger = pino({ level: 'warn' });
const fleet = await sandbox.fleet();
const deps = { fleet, tasks: new TaskRegistry(), events: new InMemoryServerEventBus(), logger };
const legacyPool = new McpServerPool({ deps, maxIdle: 32 });
const modern = createModernHandler(deps, logger);
const modernPool = new ModernServerPool({ deps, maxIdle: 32 });
const bare = createMcpHandler(() => modernPool.take(IDENTITY), { legacy: 'reject', bus: deps.events });
const wires: ExchangeWire[] = [];

/** A tools/call on a pooled server kept connected through serveStdio, answered as JSON. */
async function onKeptWire(message: ReturnType<typeof call>): Promise<string> {
  let wire = wires.pop();
  if (!wire) {
    const server = createModernMcpServer(deps, IDENTITY);
    wire = new ExchangeWire();
    serveStdio(() => server, { transport: wire, legacy: 'reject' });
  }
  const answer = await wire.exchange(message);
  wires.push(wire);
  return JSON.stringify(answer);
}

function classify(request: Request, body: unknown): ReturnType<typeof classifyInboundRequest> {
  return classifyInboundRequest({
    httpMethod: request.method,
    protocolVersionHeader: request.headers.get('mcp-protocol-version') ?? undefined,
    mcpMethodHeader: request.headers.get('mcp-method') ?? undefined,
    mcpNameHeader: request.headers.get('mcp-name') ?? undefined,
    body,
  });
}

const ways: Record<string, () => Promise<unknown>> = {
  '2025 era, pooled server on our JSON transport (row b)': async () => {
    const exchange = jsonExchangeOf(post(false), call(false))!;
    return jsonAnswer(await legacyPool.answer(IDENTITY, exchange.messages, exchange.requestIds)).text();
  },
  '2026-07-28, createModernHandler (row f)': async () =>
    (await modern.fetch(post(true), IDENTITY, call(true), 'list_agent_projects')).text(),
  '2026-07-28, bare createMcpHandler, pooled server': async () =>
    (await bare.fetch(post(true), { authInfo: AUTH_INFO, parsedBody: call(true) })).text(),
  '2026-07-28, serveStdio on a kept wire, pooled server': () => onKeptWire(call(true)),
  // The least a fast path behind the SDK's classification could cost: it leaves out the header checks, which the
  // SDK does not export (see BENCHMARKS.md, "2026-07-28 on a kept connection").
  '2026-07-28, classifyInboundRequest then serveStdio on a kept wire': async () => {
    const message = call(true);
    classify(post(true), message);
    return onKeptWire(message);
  },
  '2026-07-28, classifyInboundRequest alone': async () => classify(post(true), call(true)),
};

async function cpuPerCall(way: () => Promise<unknown>, calls: number): Promise<number> {
  const start = process.cpuUsage();
  for (let done = 0; done < calls; done += CONCURRENT) await Promise.all(Array.from({ length: CONCURRENT }, way));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / calls;
}

const names = Object.keys(ways);
for (const name of names) await cpuPerCall(ways[name]!, 1000);
const samples = new Map<string, number[]>(names.map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  const order = names.map((_, i) => names[(i + round) % names.length]!);
  for (const name of order) samples.get(name)!.push(await cpuPerCall(ways[name]!, CALLS));
}
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
process.stdout.write(`${ROUNDS} rounds of ${CALLS} calls, ${CONCURRENT} at a time; CPU ms per call, median (min)\n`);
for (const [name, values] of samples) {
  process.stdout.write(`| ${name} | ${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}) |\n`);
}
await fleet.shutdown();
sandbox.cleanup();
