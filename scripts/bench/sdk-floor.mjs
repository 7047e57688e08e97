// Target (s): the floor of any server built on the MCP SDK's 2025-era line: its McpServer with the same
// list_agent_projects tool (same input and output schemas, same answer), connected once to a transport that only
// hands each request to it and takes the answer back, behind node:http and the same bearer check as (h). No
// framework, no guards, no log, no pool: only what the SDK itself does per call. s/h is the best ratio to (h) that
// a server answering through the SDK can reach on this machine; b/s is what fleet-mcp adds to it.
import { createServer } from 'node:http';
import { basename } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { authorized, send } from './node-http-answers.mjs';

const project = z.object({ name: z.string(), path: z.string(), description: z.string().optional() });
const mcp = new McpServer({ name: 'sdk-floor', version: '1' });
mcp.registerTool(
  'list_agent_projects',
  {
    description: 'Lists the projects (host directories) agents can work in.',
    inputSchema: z.strictObject({}),
    outputSchema: z.object({
      projects: z.array(project),
      total_count: z.number().int(),
      hint: z.string().optional(),
    }),
    annotations: { readOnlyHint: true },
  },
  () => {
    const projects = [
      {
        name: basename(process.cwd()),
        path: process.cwd(),
        description: 'The folder a client of the fleet was started in.',
      },
    ];
    const answer = { projects, total_count: projects.length };
    return { content: [{ type: 'text', text: JSON.stringify(answer) }], structuredContent: answer };
  },
);

/**
 * Hands each message to the server under an id of its own (clients reuse theirs across connections) and resolves
 * the HTTP request waiting for it with the client's id put back.
 */
const waiting = new Map();
let nextId = 1;
const transport = {
  async start() {},
  async close() {},
  async send(message) {
    const done = waiting.get(message.id);
    if (!done) return;
    waiting.delete(message.id);
    done(message);
  },
};
await mcp.connect(transport);

const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/mcp') return send(response, 404, '{}');
  if (!authorized(request.rawHeaders)) return send(response, 401, '{"error":"invalid_token"}');
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let message;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      return send(response, 400, '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}');
    }
    if (typeof message !== 'object' || message === null || message.id === undefined) return send(response, 400, '{}');
    const id = message.id;
    message.id = nextId++;
    waiting.set(message.id, (answer) => send(response, 200, JSON.stringify({ ...answer, id })));
    transport.onmessage(message);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
