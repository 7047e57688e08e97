// Target (a): the framework limit, a bare @hono/node-server JSON route with no MCP and no auth.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/mcp', (c) => c.json({ jsonrpc: '2.0', id: 1, result: { ok: true } }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
