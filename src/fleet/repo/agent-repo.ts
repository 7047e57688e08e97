import { appendFileSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../errors.js';
import { git, runGit, splitNul } from '../review/git.js';

export interface AgentRepoOptions {
  /** Where the repository goes: `<data dir>/worktrees/<agent>`. */
  path: string;
  /** `fleet/<name>`: the branch it is on. */
  branch: string;
  /** The commit the branch starts at. */
  commit: string;
  /** The user's repository's git dir: its objects are read through `objects/info/alternates`, never written. */
  sourceGitDir: string;
  /** The user's checkout, whose user.name and user.email the agent commits with. */
  sourceRoot: string;
  /** The commit holds an agent's work: it is checked out with no filter of the user's config (git-lfs, say) reading it. */
  agentWork: boolean;
}

/**
 * Makes the agent's own repository: its own refs, HEAD, config, hooks and object store, sharing nothing writable
 * with the user's repository, whose objects it reads through alternates (read-only in the sandbox), so nothing is
 * copied. Its work comes back only as its branch, fetched and checked (fetch-branch.ts). A repository already in
 * place (made before a crash or an earlier restart) is the agent's and is not touched: the server runs no git on
 * it outside the agent's place.
 */
export async function makeAgentRepo(options: AgentRepoOptions): Promise<{ created: boolean }> {
  const problem = agentRepoProblem(options.path);
  if (problem === null) return { created: false };
  if (problem !== 'missing') throw new FleetError('failed', problem);
  mkdirSync(options.path, { recursive: true, mode: 0o700 });
  // Made here and not yet run by anyone: git may read it as the server.
  await git(options.path, ['init', '--quiet', '--template=', `--initial-branch=${options.branch}`]);
  writeFileSync(
    join(options.path, '.git', 'objects', 'info', 'alternates'),
    `${join(options.sourceGitDir, 'objects')}\n`,
    { flag: 'wx' },
  );
  const identity = await runGit(options.sourceRoot, ['config', '-z', '--get-regexp', '^user\\.(name|email)$'], {
    okCodes: [1],
  });
  appendFileSync(join(options.path, '.git', 'config'), identitySection(identity.stdout));
  // On the unborn branch: makes it at the commit and checks the commit out.
  const noUserConfig = options.agentWork ? { env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } } : {};
  await git(options.path, ['reset', '--quiet', '--hard', options.commit], noUserConfig);
  return { created: true };
}

/**
 * The `[user]` section of `git config -z --get-regexp` output (every level's values, the repository's last), written
 * into the new repository's config by hand: a `git config` run per key would cost the server a process each. The
 * last value of a key wins, as in git; values are quoted and escaped as git reads them.
 */
function identitySection(output: string): string {
  const values = new Map<string, string>();
  for (const entry of splitNul(output)) {
    const newline = entry.indexOf('\n');
    const key = entry.slice(0, newline);
    if (newline >= 0 && (key === 'user.name' || key === 'user.email')) values.set(key, entry.slice(newline + 1));
  }
  const lines = [...values].map(([key, value]) => {
    const quoted = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    return `\t${key.slice('user.'.length)} = "${quoted}"\n`;
  });
  return lines.length === 0 ? '' : `[user]\n${lines.join('')}`;
}

/**
 * Null for the agent's repository, 'missing' for nothing (or an empty folder) at `path`, else why it is neither, in
 * words for the lead. Looked at without running git.
 */
export function agentRepoProblem(path: string): string | null {
  if (isMissingOrEmpty(path)) return 'missing';
  if (lstatOrNull(join(path, '.git'))?.isDirectory()) return null;
  if (isLinkedWorktree(path)) {
    return `${path} is a git worktree of the project's own repository, made by an earlier fleet-mcp whose agents shared its refs and objects; its work is on its branch there: merge it or delete the agent, then create it again`;
  }
  return `${path} is not the agent's repository (it has no .git folder); move it away, then restart_agent`;
}

/** Nothing at `path`, or an empty folder: where an agent's repository is still to be made. */
export function isMissingOrEmpty(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return true;
  }
}

/** A worktree of the user's repository (its `.git` is a file), as an earlier fleet-mcp made agents' folders. */
export function isLinkedWorktree(path: string): boolean {
  return lstatOrNull(join(path, '.git'))?.isFile() === true;
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
