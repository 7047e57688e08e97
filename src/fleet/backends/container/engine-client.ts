import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseEngineAddress, type EngineAddress, type EngineTlsEnv } from './engine-address.js';
import { connectEngine } from './engine-connection.js';
import { describeConnectionError } from './engine-errors.js';

/** Docker 20.10 speaks v1.41; Podman 4.3's compat API answers under the same prefix. */
export const ENGINE_API_VERSION = 'v1.41';

export interface EngineClientOptions {
  /** As DOCKER_HOST has it; unset means the default socket /var/run/docker.sock. */
  host?: string | undefined;
  /** DOCKER_TLS_VERIFY and DOCKER_CERT_PATH; defaults to this process's environment. */
  tlsEnv?: EngineTlsEnv;
  /** The ssh client for ssh:// addresses. */
  ssh?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Statuses that are an answer rather than an error, e.g. 404 when looking for something that may be gone. */
  accept?: number[];
  /** Gives up on an engine that does not answer; none for requests that wait on a task. */
  timeoutMs?: number;
}

/** An answer from the engine with an error status: `message` is the engine's own words. */
export class EngineApiError extends Error {
  override name = 'EngineApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The engine could not be reached; the message is one line with the address, the cause and the fix. */
export class EngineUnreachableError extends Error {
  override name = 'EngineUnreachableError';
}

/** A small client of the Docker Engine API: JSON requests, streamed answers, and hijacked (attach) streams. */
export class EngineClient {
  readonly address: EngineAddress;
  private readonly ssh: string;

  constructor(options: EngineClientOptions = {}) {
    this.address = parseEngineAddress(options.host, options.tlsEnv ?? process.env);
    this.ssh = options.ssh ?? 'ssh';
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const response = await this.send(method, path, options);
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    if (status >= 400 && !(options.accept ?? []).includes(status))
      throw new EngineApiError(status, apiMessage(text, status));
    const isJson = (response.headers['content-type'] ?? '').includes('json') && text.trim() !== '';
    return { status, body: (isJson ? JSON.parse(text) : text) as T };
  }

  /** An answer read as it arrives (logs, events); the caller ends it with `destroy`. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const response = await this.send(method, path, options);
    const status = response.statusCode ?? 0;
    if (status >= 400) throw new EngineApiError(status, apiMessage(await readAll(response), status));
    return response;
  }

  /** Upgrades the connection to a raw stream, as `docker attach` does: the engine's side is the container's stdio. */
  hijack(path: string, query: Query): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const request = this.request('POST', path, query, { Connection: 'Upgrade', Upgrade: 'tcp' });
      request.on('upgrade', (_response, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      request.on('response', (response) => {
        void readAll(response).then((text) => {
          const status = response.statusCode ?? 0;
          reject(
            new EngineApiError(
              status,
              status >= 400 ? apiMessage(text, status) : `the engine did not upgrade ${path} (status ${status})`,
            ),
          );
        }, reject);
      });
      request.on('error', (error) => reject(this.unreachable(error)));
      request.end();
    });
  }

  private send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
      const request = this.request(method, path, options.query ?? {}, headers);
      if (options.timeoutMs) {
        request.setTimeout(options.timeoutMs, () =>
          request.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
        );
      }
      request.on('response', resolve);
      request.on('error', (error) => reject(this.unreachable(error)));
      request.end(body);
    });
  }

  private request(method: string, path: string, query: Query, headers: Record<string, string>) {
    return httpRequest({
      method,
      // The Host header is the docker CLI's; engines ignore it on sockets and pipes.
      host: 'docker',
      path: `/${ENGINE_API_VERSION}${path}${queryString(query)}`,
      headers,
      createConnection: () => connectEngine(this.address, { ssh: this.ssh }) as never,
    });
  }

  private unreachable(error: Error): Error {
    if (error instanceof EngineApiError) return error;
    return new EngineUnreachableError(describeConnectionError(this.address, error as NodeJS.ErrnoException));
  }
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}

/** Both engines answer errors as {"message": "..."}; Podman adds "cause" and "response". */
function apiMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '') return oneLine(parsed.message);
  } catch {
    // Not JSON: a proxy's page or plain text.
  }
  return oneLine(text.trim() || `status ${status}`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}
