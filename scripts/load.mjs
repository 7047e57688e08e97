// Fires N authenticated MCP tools/call requests at once against a running fleet-mcp and reports latency.
// Loopback only; one round of N requests, so it is bounded by N.
//
//   FLEET_TOKEN=$(fleet-mcp token show) node scripts/load.mjs --url http://127.0.0.1:8000/mcp --requests 1000
//
// Prints one JSON line {requests, ok, failed, byStatus, p50_ms, p99_ms, max_ms}; exits 1 unless every request
// succeeded.
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { MCP_BODY, mcpHeaders } from './mcp-request.mjs';

const { values } = parseArgs({ options: { url: { type: 'string' }, requests: { type: 'string', default: '1000' } } });
const url = new URL(values.url ?? '');
if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
  console.error('usage: FLEET_TOKEN=<token> node scripts/load.mjs --url http://127.0.0.1:<port>/mcp [--requests N]');
  process.exit(2);
}
const total = Number(values.requests);
const token = process.env.FLEET_TOKEN;
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const headers = mcpHeaders(token);

/** Resolves with [status, milliseconds]; a tool error inside a 200 counts as a failure too. */
function call() {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        const ok = res.statusCode === 200 && text.includes('"total_count') && !text.includes('"isError":true');
        resolve([ok ? 'ok' : String(res.statusCode), performance.now() - started]);
      });
    });
    req.on('error', (error) => resolve([`error:${error.code}`, performance.now() - started]));
    req.end(MCP_BODY);
  });
}

const results = await Promise.all(Array.from({ length: total }, call));
const latencies = results.map(([, ms]) => ms).sort((a, b) => a - b);
const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10;
const byStatus = {};
for (const [status] of results) byStatus[status] = (byStatus[status] ?? 0) + 1;
const ok = byStatus.ok ?? 0;
console.log(
  JSON.stringify({
    requests: total,
    ok,
    failed: total - ok,
    byStatus,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: at(1),
  }),
);
agent.destroy();
process.exit(ok === total ? 0 : 1);
