import type { Context } from 'hono';
import { MAX_BODY_BYTES } from './limits.js';

export interface McpBody {
  /** The request the transport should read: the original one, or a copy when the body was already read. */
  request: Request;
  /** The parsed JSON-RPC payload, when it could be read on the fast path. */
  parsedBody?: unknown;
}

function hasSmallDeclaredLength(c: Context): boolean {
  const declared = c.req.header('content-length');
  return declared !== undefined && /^\d+$/.test(declared) && Number(declared) <= MAX_BODY_BYTES;
}

/**
 * Reads a JSON body through hono's node adapter, which hands over the received bytes directly. The SDK's own
 * reader needs a full WHATWG Request with a body stream, which the bench showed to be about a quarter of a
 * tools/call's cost. Anything unusual still reaches the SDK's reader, so its limits and error answers stay
 * exactly as they are: a body without a small Content-Length is not touched, and one that is not JSON is handed
 * over again as a copy for the SDK to reject.
 */
export async function readMcpBody(c: Context): Promise<McpBody> {
  if (!hasSmallDeclaredLength(c)) return { request: c.req.raw };
  const text = await c.req.text();
  try {
    return { request: c.req.raw, parsedBody: JSON.parse(text) };
  } catch {
    return { request: new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers, body: text }) };
  }
}
