import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where an engine's API answers, read the way the docker CLI reads DOCKER_HOST and its TLS variables. */
export type EngineAddress =
  | { kind: 'unix'; path: string; text: string }
  | { kind: 'tcp'; host: string; port: number; tls: EngineTls | null; text: string }
  | { kind: 'ssh'; user: string | null; host: string; port: number | null; text: string };

export interface EngineTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** DOCKER_TLS_VERIFY set: the engine's certificate must chain to `ca`; else the client only encrypts. */
  verify: boolean;
}

/** The variables the docker CLI reads besides DOCKER_HOST. */
export interface EngineTlsEnv {
  DOCKER_TLS_VERIFY?: string | undefined;
  DOCKER_CERT_PATH?: string | undefined;
  DOCKER_TLS?: string | undefined;
}

export class EngineAddressError extends Error {
  override name = 'EngineAddressError';
}

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

/** Parses `unix:///path`, `tcp://host:port` or `ssh://[user@]host[:port]`; a bare path is a unix socket. */
export function parseEngineAddress(text: string | undefined, env: EngineTlsEnv = process.env): EngineAddress {
  const address = text && text.trim() !== '' ? text.trim() : DEFAULT_SOCKET;
  if (address.startsWith('/')) return { kind: 'unix', path: address, text: `unix://${address}` };
  const url = parseUrl(address);
  if (url.protocol === 'unix:') return { kind: 'unix', path: url.pathname, text: address };
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:')
    return tcpAddress(url, address, env);
  if (url.protocol === 'ssh:') {
    return {
      kind: 'ssh',
      user: url.username ? decodeURIComponent(url.username) : null,
      host: url.hostname,
      port: url.port ? Number(url.port) : null,
      text: address,
    };
  }
  throw new EngineAddressError(
    `engine address "${address}" has an unknown scheme: use unix:///path/to/socket, tcp://host:port or ssh://user@host`,
  );
}

function parseUrl(address: string): URL {
  try {
    return new URL(address);
  } catch {
    throw new EngineAddressError(
      `engine address "${address}" is not a URL: use unix:///path/to/socket, tcp://host:port or ssh://user@host`,
    );
  }
}

function tcpAddress(url: URL, text: string, env: EngineTlsEnv): EngineAddress {
  const verify = isSet(env.DOCKER_TLS_VERIFY);
  const useTls = verify || isSet(env.DOCKER_TLS) || url.protocol === 'https:';
  const port = url.port ? Number(url.port) : useTls ? 2376 : 2375;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port, tls: useTls ? readTls(env, verify, text) : null, text };
}

/** As the docker CLI: DOCKER_TLS_VERIFY (any value but empty) turns checking on; "0" counts as set there too. */
function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

function readTls(env: EngineTlsEnv, verify: boolean, text: string): EngineTls {
  const dir = env.DOCKER_CERT_PATH && env.DOCKER_CERT_PATH !== '' ? env.DOCKER_CERT_PATH : join(homedir(), '.docker');
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (error) {
      throw new EngineAddressError(
        `engine at ${text} needs TLS but ${join(dir, name)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem`,
      );
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem'), verify };
}
