import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { makeAgentBareRepo } from '../../src/fleet/backends/remote/agent-bare-repo.js';
import { GitCredentials } from '../../src/fleet/backends/remote/git-credentials.js';
import { createGitHttp, GIT_HTTP_PREFIX } from '../../src/http/git-http.js';

const run = promisify(execFile);

/** The user's repository, a data dir, and the git endpoint serving agents' bare repositories on loopback. */
export interface GitEndpoint {
  root: string;
  userRepo: string;
  base: string;
  credentials: GitCredentials;
  /** Every line the endpoint logged. */
  log: string[];
  /** The git sub-app, to mount elsewhere too. */
  gitApp: ReturnType<typeof createGitHttp>;
  /** Makes agent `name`'s bare repository at the user's main commit; its URL. */
  addAgent(name: string): Promise<string>;
  bareRepo(name: string): string;
  /** Stops the server and removes `root`: call it first in afterAll, before checks that may fail. */
  close(): Promise<void>;
}

/** git as a client or in a repository: async, as the endpoint answers in this same process. */
export async function gitIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { ...clientEnv(cwd), ...env }, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** git that may fail: its exit code and everything it printed. */
export async function gitTry(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('git', args, { cwd, env: { ...clientEnv(cwd), ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

function clientEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@test.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@test.invalid',
  };
}

/** `-c` options making git answer a password prompt with $FLEET_TEST_PASSWORD, which never shows in an argv. */
export const PASSWORD_HELPER = [
  '-c',
  'credential.helper=',
  '-c',
  'credential.helper=!f() { test "$1" = get && printf "username=fleet\\npassword=%s\\n" "$FLEET_TEST_PASSWORD"; }; f',
];

export async function startGitEndpoint(
  limits: { maxPushBytes?: number; maxFetchRequestBytes?: number } = {},
): Promise<GitEndpoint> {
  const root = mkdtempSync(join(tmpdir(), 'fleet-git-http-'));
  try {
    return await serveGitEndpoint(root, limits);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

async function serveGitEndpoint(
  root: string,
  limits: { maxPushBytes?: number; maxFetchRequestBytes?: number },
): Promise<GitEndpoint> {
  const userRepo = join(root, 'user');
  mkdirSync(userRepo);
  await gitIn(userRepo, ['init', '--quiet', '--initial-branch=main']);
  writeFileSync(join(userRepo, 'README'), 'project\n');
  mkdirSync(join(userRepo, 'sub'));
  writeFileSync(join(userRepo, 'sub', 'notes.txt'), 'notes\n');
  await gitIn(userRepo, ['add', '-A']);
  await gitIn(userRepo, ['commit', '--quiet', '-m', 'start']);
  const main = await gitIn(userRepo, ['rev-parse', 'HEAD']);
  const log: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => log.push(line) });
  const credentials = new GitCredentials(Buffer.alloc(32, 7));
  const bareRepo = (name: string) => join(root, 'data', 'worktrees', name);
  const repos = new Set<string>();
  const git = createGitHttp({
    repoOf: (agent) => (repos.has(agent) ? bareRepo(agent) : null),
    credentials,
    logger,
    ...limits,
  });
  const app = new Hono().route(GIT_HTTP_PREFIX, git);
  // HTTP/1.1: createAdaptorServer makes an http.Server unless told to make an HTTP/2 one.
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GIT_HTTP_PREFIX}`;
  return {
    root,
    userRepo,
    base,
    credentials,
    log,
    gitApp: git,
    bareRepo,
    async addAgent(name) {
      await makeAgentBareRepo({
        path: bareRepo(name),
        branch: `fleet/${name}`,
        commit: main,
        sourceGitDir: join(userRepo, '.git'),
      });
      repos.add(name);
      return `${base}/${name}`;
    },
    async close() {
      // A git client stuck mid-request (a hung test) must not keep the server, and so its folder, alive.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
