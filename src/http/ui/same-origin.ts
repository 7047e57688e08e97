import type { Context } from 'hono';

/** The host[:port] a URL names, lower-case; undefined when it is no http(s) URL. */
function authorityOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** The Host the request was sent to, as a URL's host would spell it (default ports left out). */
function requestAuthority(c: Context): string | undefined {
  const host = c.req.header('host');
  return host === undefined ? undefined : authorityOf(`http://${host}`);
}

/**
 * Whether a state-changing request comes from a page of this very server: its Origin (or, where a browser sends
 * none, its Referer) names the host it was sent to. Stricter than the host guard, which also lets the extra
 * origins of FLEET_MCP_ALLOWED_ORIGINS call /mcp: no other site's page may post a form here.
 */
export function fromSameOrigin(c: Context): boolean {
  const own = requestAuthority(c);
  if (own === undefined) return false;
  const origin = c.req.header('origin');
  if (origin !== undefined) return origin !== 'null' && authorityOf(origin) === own;
  const referer = c.req.header('referer');
  return referer !== undefined && authorityOf(referer) === own;
}
