// The request the load scripts and the benchmark send: a tools/call of list_agent_projects, as an MCP client would.

export const MCP_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'list_agent_projects', arguments: {} },
});

/** The headers every MCP client sends on a Streamable HTTP POST, plus the bearer token where there is one. */
export function mcpHeaders(token) {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

/** The same call at MCP 2026-07-28: the per-request envelope in `_meta`, and the headers that must match the body. */
export const MODERN_MCP_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name: 'list_agent_projects',
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});

export const MODERN_HEADERS = {
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call',
  'mcp-name': 'list_agent_projects',
};
