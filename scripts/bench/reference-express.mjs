// Target (d): an MCP server built the stock way the SDK documents for stateless Streamable HTTP: the SDK's
// Express app, and per request a new McpServer and StreamableHTTPServerTransport. It serves the same
// list_agent_projects answer as fleet-mcp started in the same directory: compact text and structuredContent, checked
// by the SDK against an output schema.
import { basename } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod';

const projects = [
  {
    name: basename(process.cwd()),
    path: process.cwd(),
    description: 'The folder a client of the fleet was started in.',
  },
];
const answer = { projects, total_count: projects.length };
const outputSchema = z.object({
  projects: z.array(z.object({ name: z.string(), path: z.string(), description: z.string() })),
  total_count: z.number(),
});

function getServer() {
  const server = new McpServer({ name: 'reference', version: '1.0.0' });
  server.registerTool(
    'list_agent_projects',
    {
      title: 'List agent projects',
      description: 'Lists the projects agents can work in.',
      outputSchema,
      annotations: { readOnlyHint: true },
    },
    () => ({ content: [{ type: 'text', text: JSON.stringify(answer) }], structuredContent: answer }),
  );
  return server;
}

const app = createMcpExpressApp();
app.post('/mcp', async (req, res) => {
  const server = getServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
});

const listener = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: listener.address().port })}\n`);
});
process.on('SIGTERM', () => listener.close(() => process.exit(0)));
