import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Mount } from './bwrap.js';

export interface MountsRequest {
  workdir: string;
  gitDir: string | null;
  gitCommonDir: string | null;
  /** The agent's branch (`fleet/<name>`), null outside git. */
  branch: string | null;
  /** The CLI's state paths as declared (`~/` for HOME). */
  state: readonly string[];
  /** The agent's environment: HOME and the XDG folders the state paths live in. */
  env: Record<string, string>;
  /** What the agent must not see: the server's secrets and state. */
  hidden: readonly string[];
}

/**
 * The sandbox's view of the host for one task: the server's secrets and the data dir hidden; the worktree, what
 * git needs to commit on the agent's branch, and the CLI's state writable; git's pointers pinned read-only.
 */
export function sandboxMounts(request: MountsRequest): Mount[] {
  const writable = [request.workdir, ...gitWritable(request), ...request.state.map((path) => ensureState(expandState(path, request.env)))];
  const hidden = request.hidden.filter((path) => existsSync(path)).map((path): Mount => ({ kind: 'hide', path, folder: isFolder(path) }));
  const pinned = gitPinned(request).filter((path) => existsSync(path)).map((path): Mount => ({ kind: 'pinned', path, folder: false }));
  // The repository's git dir, read-only, wherever it is (e.g. under /tmp): git reads its config, HEAD and refs.
  const readable = request.gitCommonDir ? [{ kind: 'readable', path: request.gitCommonDir, folder: true } satisfies Mount] : [];
  // Ancestors first: a writable folder that holds a hidden one must not show it again, and a worktree inside the
  // hidden data dir must show through it.
  const mounts = [...hidden, ...readable, ...writable.map((path): Mount => ({ kind: 'writable', path, folder: true }))].sort((a, b) => depth(a.path) - depth(b.path));
  return [...mounts, ...pinned];
}

/**
 * Commit on the agent's branch needs the worktree's own admin dir (index, HEAD), the shared object store, and the
 * folder of the branch's ref and reflog; that folder (`refs/heads/fleet`) also holds the other agents' branches,
 * as git locks a ref by a file beside it. The repository's config, hooks, other refs and packed-refs stay read-only.
 */
function gitWritable({ gitDir, gitCommonDir, branch }: MountsRequest): string[] {
  if (!gitDir || !gitCommonDir) return [];
  const paths = [gitDir, join(gitCommonDir, 'objects')];
  if (existsSync(join(gitCommonDir, 'reftable'))) return [...paths, join(gitCommonDir, 'reftable')];
  if (!branch) return paths;
  const refFolders = [dirname(join(gitCommonDir, 'refs', 'heads', branch)), dirname(join(gitCommonDir, 'logs', 'refs', 'heads', branch))];
  for (const folder of refFolders) mkdirSync(folder, { recursive: true });
  return [...paths, ...refFolders];
}

/** The worktree's `.git` file and the admin dir's pointers back: rewritten, they would lead the server's own git elsewhere. */
function gitPinned({ workdir, gitDir }: MountsRequest): string[] {
  if (!gitDir) return [];
  return [join(workdir, '.git'), join(gitDir, 'commondir'), join(gitDir, 'gitdir')];
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
function expandState(declared: string, env: Record<string, string>): string {
  const [, variable, fallback] = VARIABLE_OR.exec(declared) ?? [];
  const path = variable ? env[variable] || fallback! : declared;
  if (!path.startsWith('~/')) return path;
  const xdg = XDG.find(([prefix, variable]) => path.startsWith(prefix) && env[variable]);
  if (xdg) return join(env[xdg[1]]!, path.slice(xdg[0].length));
  return join(env.HOME ?? '/', path.slice(2));
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
