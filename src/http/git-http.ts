import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { childEnv } from '../fleet/child-env.js';
import { HARDENED } from '../fleet/review/git.js';
import type { Logger } from '../log.js';
import { logText } from '../log-text.js';
import { isDelete, parseCommandSection, refusalReport, type PushCommand } from './git-push-commands.js';

/** Where the lead mounts the sub-app: `app.route(GIT_HTTP_PREFIX, createGitHttp(...))`. */
export const GIT_HTTP_PREFIX = '/git';

/** The largest push (its pack, after gzip is undone) the endpoint takes unless told otherwise. */
export const DEFAULT_MAX_PUSH_BYTES = 512 * 1024 * 1024;
/** A fetch's request is its wants and haves: small even for a long negotiation. */
export const DEFAULT_MAX_FETCH_REQUEST_BYTES = 16 * 1024 * 1024;
/** The command list of a push: one ref, with capabilities, is a few hundred bytes. */
const MAX_COMMAND_SECTION_BYTES = 64 * 1024;
/** A git that outlives this was left waiting by a client that went away. */
const SERVICE_TIMEOUT_MS = 30 * 60_000;

export interface GitHttpOptions {
  /** The agent's bare repository (agent-bare-repo.ts), or null when the agent has none. */
  repoOf(agent: string): string | null;
  /** Says which live task of the agent a presented credential is, or null (git-credentials.ts). */
  credentials: { check(agent: string, presented: string): string | null };
  logger?: Logger;
  maxPushBytes?: number;
  maxFetchRequestBytes?: number;
}

type Service = 'upload-pack' | 'receive-pack';
type Env = { Bindings: HttpBindings; Variables: { repo: string } };

/** The sub-app createGitHttp makes, for AppOptions. */
export type GitHttpApp = Hono<Env>;

const REALM = 'Basic realm="fleet-mcp git", charset="UTF-8"';

/**
 * git's smart HTTP for remote agents, at `/git/<agent>/...`: each agent fetches and pushes its own bare repository,
 * with its task's credential as the password of HTTP Basic auth. A push may create or move only
 * `refs/heads/fleet/<agent>`; any other ref, or a delete, refuses the whole push before git runs.
 */
export function createGitHttp(options: GitHttpOptions): Hono<Env> {
  const app = new Hono<Env>();
  const maxPushBytes = options.maxPushBytes ?? DEFAULT_MAX_PUSH_BYTES;
  const warn = limitedWarn(options.logger);
  app.use('/:agent/*', async (c, next) => {
    const agent = c.req.param('agent');
    const presented = basicPassword(c.req.header('authorization'));
    if (presented === null || options.credentials.check(agent, presented) === null) {
      // git asks without a credential first, every time: only a wrong one is worth a line.
      if (presented !== null)
        warn(agent, 'git authentication failed', { client: clientAddress(c), path: logText(c.req.path) });
      return c.text(`fleet-mcp: git for agent "${agent}" needs its task's credential as the password\n`, 401, {
        'WWW-Authenticate': REALM,
        'Cache-Control': 'no-store',
      });
    }
    const repo = options.repoOf(agent);
    if (repo === null) return c.text(`fleet-mcp: agent "${agent}" has no repository here\n`, 404);
    c.set('repo', repo);
    await next();
  });
  app.get('/:agent/info/refs', (c) => {
    const service = serviceOf(c.req.query('service'));
    if (!service) return c.text('fleet-mcp: only the smart protocol is served; use git 1.6.6 or later\n', 403);
    const git = startService(c, service, ['--advertise-refs'], []);
    git.stdin.end();
    const announce = pktLine(`# service=git-${service}\n`);
    return answer(
      c,
      git,
      `application/x-git-${service}-advertisement`,
      Buffer.concat([announce, Buffer.from('0000')]),
      warn,
    );
  });
  app.post('/:agent/git-upload-pack', (c) =>
    serve(c, 'upload-pack', options.maxFetchRequestBytes ?? DEFAULT_MAX_FETCH_REQUEST_BYTES, warn),
  );
  app.post('/:agent/git-receive-pack', (c) => serve(c, 'receive-pack', maxPushBytes, warn));
  app.all('*', (c) => c.text('fleet-mcp: not a git smart HTTP request\n', 404));
  return app;
}

async function serve(c: Context<Env>, service: Service, maxBytes: number, warn: Warn): Promise<Response> {
  if (c.req.header('content-type') !== `application/x-git-${service}-request`)
    return c.text(`fleet-mcp: expected Content-Type application/x-git-${service}-request\n`, 415);
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > maxBytes) return tooLarge(c, maxBytes);
  const encoding = (c.req.header('content-encoding') ?? '').toLowerCase();
  if (!['', 'identity', 'gzip', 'x-gzip'].includes(encoding))
    return c.text(`fleet-mcp: Content-Encoding ${logText(encoding)} is not supported; send gzip or none\n`, 415);
  // The pack's own limit is git's (receive.maxInputSize), which tells the client; this one is the backstop. For a push
  // it is twice git's, so git's limit always comes first and the client gets git's line, not a broken connection.
  const backstop = (service === 'receive-pack' ? 2 * maxBytes : maxBytes) + MAX_COMMAND_SECTION_BYTES;
  const body = decodedBody(c, encoding !== '' && encoding !== 'identity', backstop);
  if (service === 'upload-pack') {
    const git = startService(c, service, [], []);
    feed(git, body);
    return answer(c, git, 'application/x-git-upload-pack-result', null, warn);
  }
  const agent = c.req.param('agent')!;
  const reader = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const section = await readCommandSection(reader).catch((error: Error) => ({
    kind: 'malformed' as const,
    why: error.message,
  }));
  if (section.kind !== 'complete') {
    body.destroy();
    if (section.kind === 'too_large') return tooLarge(c, MAX_COMMAND_SECTION_BYTES);
    return c.text(`fleet-mcp: not a git push (${section.why})\n`, 400);
  }
  const refusals = judgePush(agent, section.commands);
  if (refusals) {
    warn(agent, 'git push refused', { refs: section.commands.map((command) => logText(command.ref, 200)) });
    // Read to its end so the client, which sends its whole request first, gets the report rather than a broken pipe.
    await drain(reader).catch(() => undefined);
    c.header('Cache-Control', 'no-cache');
    return c.body(new Uint8Array(refusalReport(refusals, section.capabilities)), 200, {
      'Content-Type': 'application/x-git-receive-pack-result',
    });
  }
  const git = startService(c, service, [], ['-c', `receive.maxInputSize=${maxBytes}`]);
  feed(git, Readable.from(rest(section.head, reader)));
  return answer(c, git, 'application/x-git-receive-pack-result', null, warn);
}

/** Null when every command creates or moves the agent's own branch; else a refusal for each command. */
function judgePush(agent: string, commands: PushCommand[]): { ref: string; reason: string }[] | null {
  const own = `refs/heads/fleet/${agent}`;
  const reasons = commands.map((command) => {
    if (command.ref !== own) return `fleet-mcp: agent "${agent}" may push only ${own}`;
    if (isDelete(command)) return `fleet-mcp: agent "${agent}" may not delete ${own}`;
    return null;
  });
  if (reasons.every((reason) => reason === null)) return null;
  return commands.map((command, index) => ({
    ref: command.ref,
    reason: reasons[index] ?? 'fleet-mcp: not pushed, as this push names refs the agent may not change',
  }));
}

type ReadSection =
  | { kind: 'complete'; commands: PushCommand[]; capabilities: string[]; head: Buffer }
  | { kind: 'malformed'; why: string }
  | { kind: 'too_large' };

async function readCommandSection(reader: AsyncIterator<Buffer>): Promise<ReadSection> {
  let head = Buffer.alloc(0);
  for (;;) {
    const parsed = parseCommandSection(head);
    if (parsed.kind === 'complete') return { ...parsed, head };
    if (parsed.kind === 'malformed') return parsed;
    if (head.length > MAX_COMMAND_SECTION_BYTES) return { kind: 'too_large' };
    const next = await reader.next();
    if (next.done) return { kind: 'malformed', why: 'the request ended inside the command list' };
    head = Buffer.concat([head, next.value]);
  }
}

async function* rest(head: Buffer, reader: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  for (let next = await reader.next(); !next.done; next = await reader.next()) yield next.value;
}

async function drain(reader: AsyncIterator<Buffer>): Promise<void> {
  for (let next = await reader.next(); !next.done; next = await reader.next());
}

/** The request body, un-gzipped, failing once it passes `maxBytes` (a gzip bomb included). */
function decodedBody(c: Context<Env>, gzipped: boolean, maxBytes: number): Readable {
  const raw = c.req.raw.body ? Readable.fromWeb(c.req.raw.body as NodeWebStream<Uint8Array>) : Readable.from([]);
  let seen = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > maxBytes ? new Error(`the request is over ${maxBytes} bytes`) : null, chunk);
    },
  });
  const decoded = gzipped ? raw.pipe(createGunzip()) : raw;
  decoded.on('error', (error) => limit.destroy(error));
  raw.on('error', (error) => limit.destroy(error));
  return decoded.pipe(limit);
}

/** Pipes the request into git; a request that fails (too large, cut, bad gzip) ends git before it changes anything. */
function feed(git: ChildProcessWithoutNullStreams, body: Readable): void {
  pipeline(body, git.stdin).catch(() => git.kill('SIGKILL'));
}

/**
 * Runs `git <service> --stateless-rpc` on the agent's repository with the server's git hardening, no user or
 * system config, and none of the server's variables.
 */
function startService(
  c: Context<Env>,
  service: Service,
  args: string[],
  config: string[],
): ChildProcessWithoutNullStreams {
  const env = {
    ...childEnv(process.env, {}),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
  };
  const repo = c.get('repo');
  const git = spawn('git', [...HARDENED, ...config, service, '--stateless-rpc', ...args, repo], {
    cwd: repo,
    env,
    timeout: SERVICE_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  // A client gone before the answer ends leaves nobody to read it.
  c.env?.outgoing?.once('close', () => {
    if (git.exitCode === null) git.kill('SIGKILL');
  });
  git.on('error', () => undefined);
  return git;
}

/** Streams git's answer, after `prefix`; git's complaints go to the log (they name refs, never a credential). */
function answer(
  c: Context<Env>,
  git: ChildProcessWithoutNullStreams,
  contentType: string,
  prefix: Buffer | null,
  warn: Warn,
): Response {
  let stderr = '';
  git.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  git.on('close', (code, signal) => {
    if (code === 0) return;
    warn(c.req.param('agent') ?? '', 'git service failed', {
      path: logText(c.req.path),
      code,
      signal,
      stderr: logText(stderr.trim(), 1000),
    });
  });
  const output = prefix ? Readable.from(withPrefix(prefix, git.stdout)) : git.stdout;
  return new Response(Readable.toWeb(output) as ReadableStream, {
    status: 200,
    headers: { 'Content-Type': contentType, 'Cache-Control': 'no-cache' },
  });
}

async function* withPrefix(prefix: Buffer, stream: Readable): AsyncGenerator<Buffer> {
  yield prefix;
  for await (const chunk of stream) yield chunk as Buffer;
}

type Warn = (agent: string, message: string, fields: Record<string, unknown>) => void;

/**
 * A warning logged at most once a minute per agent and message: a task hammering the endpoint (wrong credentials,
 * refused or broken pushes) must not flood the log.
 */
function limitedWarn(logger: Logger | undefined): Warn {
  const last = new Map<string, number>();
  return (agent, message, fields) => {
    const key = `${message}\0${agent}`;
    const now = Date.now();
    const previous = last.get(key);
    if (previous !== undefined && now - previous < 60_000) return;
    if (last.size >= 1000) last.clear();
    last.set(key, now);
    logger?.warn(
      { agent: logText(agent), ...fields },
      `${message} (more for this agent within a minute are not logged)`,
    );
  };
}

function serviceOf(query: string | undefined): Service | null {
  if (query === 'git-upload-pack') return 'upload-pack';
  if (query === 'git-receive-pack') return 'receive-pack';
  return null;
}

function pktLine(text: string): Buffer {
  return Buffer.from(`${(Buffer.byteLength(text) + 4).toString(16).padStart(4, '0')}${text}`);
}

/** The password of an `Authorization: Basic` header (the user name is free), or null. */
function basicPassword(header: string | undefined): string | null {
  const match = /^basic +([A-Za-z0-9+/]+=*)$/i.exec(header ?? '');
  if (!match) return null;
  const pair = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  return colon === -1 ? null : pair.slice(colon + 1);
}

function tooLarge(c: Context, maxBytes: number): Response {
  return c.text(`fleet-mcp: the request is over ${maxBytes} bytes, the endpoint's limit\n`, 413);
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
