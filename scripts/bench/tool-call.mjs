// One MCP tools/call to a fleet-mcp server, stateless, as any MCP client over Streamable HTTP sends it.
import { mcpHeaders } from '../mcp-request.mjs';

let nextId = 1;

/**
 * Calls a tool and returns its structuredContent; throws with the tool's own text when it answers an error.
 * @param {{ port: number, token: string }} server
 * @param {string} tool
 * @param {Record<string, unknown>} args
 */
export async function callTool(server, tool, args = {}) {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: nextId++,
    method: 'tools/call',
    params: { name: tool, arguments: args },
  });
  const response = await fetch(`http://127.0.0.1:${server.port}/mcp`, {
    method: 'POST',
    headers: mcpHeaders(server.token),
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${tool} answered ${response.status}: ${text.slice(0, 500)}`);
  // JSON, or a one-event SSE stream.
  const json = text.startsWith('{')
    ? text
    : text
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice(6);
  const message = JSON.parse(json ?? 'null');
  if (message?.error) throw new Error(`${tool} failed: ${message.error.message}`);
  const result = message.result;
  if (result.isError) throw new Error(`${tool} failed: ${result.content?.[0]?.text}`);
  return result.structuredContent;
}
