// Target (h): the ceiling, a hand-written node:http JSON-RPC responder with the same bearer check as fleet-mcp
// (one Authorization header, "Bearer <token>", compared in constant time with the token in FLEET_MCP_AUTH_TOKEN).
// It serves the same list_agent_projects answer as fleet-mcp started in the same directory, and nothing else: no
// MCP server, no schema checks, no framework.
import { createServer } from 'node:http';
import { basename } from 'node:path';
import { authorized, send } from './node-http-answers.mjs';

const projects = [
  {
    name: basename(process.cwd()),
    path: process.cwd(),
    description: 'The folder a client of the fleet was started in.',
  },
];
const answer = { projects, total_count: projects.length };
const result = { content: [{ type: 'text', text: JSON.stringify(answer) }], structuredContent: answer };

function respond(response, text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return send(response, 400, '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}');
  }
  if (message?.method !== 'tools/call' || message.params?.name !== 'list_agent_projects')
    return send(response, 200, JSON.stringify({ jsonrpc: '2.0', id: message?.id ?? null, error: { code: -32601 } }));
  send(response, 200, JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
}

const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/mcp') return send(response, 404, '{}');
  if (!authorized(request.rawHeaders)) return send(response, 401, '{"error":"invalid_token"}');
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => respond(response, Buffer.concat(chunks).toString()));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
