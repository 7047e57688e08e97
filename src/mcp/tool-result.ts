import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** Tools answer with one JSON text block, which every MCP client shows and an LLM caller reads directly. */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}
