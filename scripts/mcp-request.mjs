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
