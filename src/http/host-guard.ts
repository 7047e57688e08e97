import { hostname, networkInterfaces } from 'node:os';
import type { MiddlewareHandler } from 'hono';

export interface HostGuardOptions {
  /** Host names the server answers to, lower-case, IPv6 in brackets; ports are not compared. */
  allowedHosts: ReadonlySet<string>;
  /** Extra exact origins (scheme://host[:port]) besides those whose host is an allowed host. */
  allowedOrigins: ReadonlySet<string>;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A server bound to every interface answers to the machine's own names and addresses. */
function machineHosts(): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
  return [hostname(), ...addresses];
}

export function defaultAllowedHosts(boundHost: string, extra: readonly string[]): Set<string> {
  const hosts = [...LOOPBACK_HOSTS, ...extra];
  hosts.push(...(WILDCARD_HOSTS.has(boundHost) ? machineHosts() : [boundHost]));
  return new Set(hosts.map((host) => bracketed(host.toLowerCase())));
}

/** The host part of a Host header, or of an Origin's authority, without the port. */
function hostOf(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

function originAllowed(origin: string, options: HostGuardOptions): boolean {
  if (options.allowedOrigins.has(origin.toLowerCase())) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && options.allowedHosts.has(hostOf(url.host));
}

function forbidden(message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
    status: 403,
    headers: { 'Content-Type': 'application/json' },
  });
}

const shown = (value: string): string => JSON.stringify(value.slice(0, 100));

/**
 * Whether the request's URL names exactly the Host header's authority, which the guard has just allowed: then there
 * is no other target host to judge, and no URL to parse for it (one per request otherwise).
 */
function targetIsHost(url: string, host: string): boolean {
  const authority = url.startsWith('http://') ? 7 : url.startsWith('https://') ? 8 : -1;
  return (
    authority !== -1 && url.startsWith(host, authority) && url.charCodeAt(authority + host.length) === 47 // '/'
  );
}

/**
 * DNS rebinding protection, which the MCP transport spec asks servers to do and the SDK leaves to the app: a
 * web page cannot make a browser reach this server under a foreign Host name or from a foreign Origin.
 * Requests without Origin pass, as command-line clients send none.
 */
export function hostGuard(options: HostGuardOptions): MiddlewareHandler {
  // Not an async function: the chain awaits what it returns, and handing over next()'s promise itself saves a step.
  return (c, next) => {
    const host = c.req.header('host');
    if (!host || !options.allowedHosts.has(hostOf(host))) {
      return Promise.resolve(
        forbidden(`Forbidden: Host ${shown(host ?? '')} is not allowed; add it to FLEET_MCP_ALLOWED_HOSTS.`),
      );
    }
    // RFC 9112 §3.2.2: an absolute-form target (`POST http://other.example/mcp`) names the host the request is
    // for, and the Host header is to be ignored; the URL is built from that target, so it is judged too.
    const url = c.req.url;
    const target = targetIsHost(url, host) ? host : new URL(url).host;
    if (!options.allowedHosts.has(hostOf(target))) {
      return Promise.resolve(
        forbidden(`Forbidden: request target host ${shown(target)} is not allowed; add it to FLEET_MCP_ALLOWED_HOSTS.`),
      );
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && !originAllowed(origin, options)) {
      return Promise.resolve(
        forbidden(`Forbidden: Origin ${shown(origin)} is not allowed; add it to FLEET_MCP_ALLOWED_ORIGINS.`),
      );
    }
    return next();
  };
}
