// Drives one target with autocannon for a fixed time and keeps the figures the report needs.
import autocannon from 'autocannon';
import { MCP_BODY } from '../mcp-request.mjs';

/**
 * @param {{ url: string, headers: Record<string, string>, body?: string, seconds: number, connections: number }} options
 * @returns {Promise<{ rps: number, p50: number, p99: number, errors: number }>}
 */
export async function load(options) {
  let id = 0;
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: options.headers,
    // A new JSON-RPC id per request, as a client sends: within a session, concurrent requests must not share one.
    requests: [
      {
        setupRequest: (request) => {
          id += 1;
          return { ...request, body: (options.body ?? MCP_BODY).replace('"id":1', `"id":${id}`) };
        },
      },
    ],
    duration: options.seconds,
    connections: options.connections,
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
}
