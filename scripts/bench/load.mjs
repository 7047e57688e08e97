// Drives one target with autocannon for a fixed time and keeps the figures the report needs.
import autocannon from 'autocannon';

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

/**
 * @param {{ url: string, headers: Record<string, string>, seconds: number, connections: number }} options
 * @returns {Promise<{ rps: number, p50: number, p99: number, errors: number }>}
 */
export async function load(options) {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: options.headers,
    body: MCP_BODY,
    duration: options.seconds,
    connections: options.connections,
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
}
