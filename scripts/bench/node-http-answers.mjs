// What (h) and (s) share: fleet-mcp's bearer check on a plain node:http request, and a JSON answer.
import { timingSafeEqual } from 'node:crypto';

const TOKEN = Buffer.from(process.env.FLEET_MCP_AUTH_TOKEN ?? '');
const BEARER = /^bearer +(\S+)$/i;

/** As fleet-mcp's bearer check: exactly one Authorization header, read from the raw list, compared in constant time. */
export function authorized(rawHeaders) {
  let value;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length !== 13 || rawHeaders[i].toLowerCase() !== 'authorization') continue;
    if (value !== undefined) return false;
    value = rawHeaders[i + 1];
  }
  const presented = value === undefined ? undefined : BEARER.exec(value)?.[1];
  if (presented === undefined) return false;
  const bytes = Buffer.from(presented);
  return bytes.length === TOKEN.length && timingSafeEqual(bytes, TOKEN);
}

export function send(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
