import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Mount } from './bwrap.js';

export interface MountsRequest {
  workdir: string;
  /** The agent's own repository's git dir, null outside git. */
  gitDir: string | null;
  /** The user's repository's git dir, whose objects the agent's repository reads; read-only. */
  sourceGitDir: string | null;
  /** The CLI's state paths as declared (`~/` for HOME). */
  state: readonly string[];
  /** The agent's environment: HOME and the XDG folders the state paths live in. */
  env: Record<string, string>;
  /** What the agent must not see: the server's secrets and state. */
  hidden: readonly string[];
}

/**
 * The sandbox's view of the host for one task: the server's secrets and the data dir hidden; the working directory,
 * the agent's own repository and the CLI's state writable; the user's repository, whose objects the agent's reads,
 * read-only wherever it is (e.g. under /tmp).
 */
export function sandboxMounts(request: MountsRequest): Mount[] {
  for (const path of [request.workdir, request.gitDir]) if (path !== null) assertNoLink(path);
  const state = request.state.map((path) => ensureState(expandState(path, request.env)));
  const writable = [request.workdir, ...(request.gitDir ? [request.gitDir] : []), ...state];
  const hidden = request.hidden
    .filter((path) => existsSync(path))
    .map((path): Mount => ({ kind: 'hide', path, folder: isFolder(path) }));
  const readable = request.sourceGitDir
    ? [{ kind: 'readable', path: request.sourceGitDir, folder: true } satisfies Mount]
    : [];
  // Ancestors first: a writable folder that holds a hidden one must not show it again, and a worktree inside the
  // hidden data dir must show through it.
  return [...hidden, ...readable, ...writable.map((path): Mount => ({ kind: 'writable', path, folder: true }))].sort(
    (a, b) => depth(a.path) - depth(b.path),
  );
}

const XDG: [prefix: string, variable: string][] = [
  ['~/.local/share/', 'XDG_DATA_HOME'],
  ['~/.local/state/', 'XDG_STATE_HOME'],
  ['~/.config/', 'XDG_CONFIG_HOME'],
  ['~/.cache/', 'XDG_CACHE_HOME'],
];

const VARIABLE_OR = /^\$\{([A-Za-z_][A-Za-z0-9_]*):-(.+)\}$/;

/**
 * A declared state path where the CLI will look for it: `${VAR:-path}` is $VAR when the agent has it set, and a
 * `~/` path is under its XDG folder when one is set, else under HOME.
 */
export function expandState(declared: string, env: Record<string, string>): string {
  const [, variable, fallback] = VARIABLE_OR.exec(declared) ?? [];
  const path = variable ? env[variable] || fallback! : declared;
  if (!path.startsWith('~/')) return path;
  const xdg = XDG.find(([prefix, variable]) => path.startsWith(prefix) && env[variable]);
  if (xdg) return join(env[xdg[1]]!, path.slice(xdg[0].length));
  return join(env.HOME ?? '/', path.slice(2));
}

/**
 * The agent's folders are bound where they are: a link on the way (an agent could plant one where it may write)
 * would bind whatever it points to, writable.
 */
function assertNoLink(path: string): void {
  if (!existsSync(path)) return;
  const real = realpathSync(path);
  if (real !== join(realpathSync(dirname(path)), basename(path)))
    throw new Error(`${path} is a symbolic link to ${real}; it is not bound into a sandbox`);
}

/** A bind needs something to bind: a missing state folder is made empty, a missing `.json` file holds `{}`. */
function ensureState(path: string): string {
  if (existsSync(path)) return path;
  if (path.endsWith('.json')) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{}\n', { mode: 0o600, flag: 'wx' });
  } else {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  }
  return path;
}

function isFolder(path: string): boolean {
  return statSync(path).isDirectory();
}

function depth(path: string): number {
  return relative('/', path).split(sep).length;
}
