import { existsSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../errors.js';
import { isMissingOrEmpty } from '../../repo/agent-repo.js';
import { git } from '../../review/git.js';

export interface AgentBareRepoOptions {
  /** Where the repository goes: `<data dir>/worktrees/<agent>`, a bare repository. */
  path: string;
  /** `fleet/<name>`: the one branch the agent fetches and pushes. */
  branch: string;
  /** The commit the branch starts at; it must be in the user's repository. */
  commit: string;
  /** The user's repository's git dir: its objects are read through `objects/info/alternates`, never written. */
  sourceGitDir: string;
}

/**
 * The server's config of an agent's bare repository. The agent writes only objects and its branch (through
 * git-http.ts, which lets a push name no other ref), never this config: every object is checked on the way in, no
 * hook or gc runs, nothing but the branch can be deleted or made, and the user's other refs are never advertised to
 * the agent (`.have` lines of the alternate would name their commits).
 */
function serverConfig(branch: string): [string, string][] {
  return [
    ['core.hooksPath', '/dev/null'],
    ['core.fsmonitor', 'false'],
    ['core.alternateRefsPrefixes', 'refs/fleet-mcp-advertises-none/'],
    ['transfer.fsckObjects', 'true'],
    ['receive.fsckObjects', 'true'],
    // Warnings become errors under receive's strict fsck; these are only infos by default.
    ['receive.fsck.badFilemode', 'error'],
    ['receive.fsck.gitmodulesParse', 'error'],
    ['receive.fsck.gitattributesSymlink', 'error'],
    ['receive.fsck.gitignoreSymlink', 'error'],
    ['receive.fsck.mailmapSymlink', 'error'],
    ['receive.denyDeletes', 'true'],
    ['receive.denyDeleteCurrent', 'true'],
    ['receive.shallowUpdate', 'false'],
    ['receive.advertisePushOptions', 'false'],
    ['receive.advertiseAtomic', 'false'],
    ['receive.autogc', 'false'],
    // A later entry wins: every ref but the branch is hidden, and receive-pack refuses to update a hidden ref.
    ['transfer.hideRefs', 'refs/'],
    ['transfer.hideRefs', `!refs/heads/${branch}`],
    ['uploadpack.allowFilter', 'false'],
    ['uploadpack.allowAnySHA1InWant', 'false'],
    ['gc.auto', '0'],
  ];
}

/**
 * Makes the bare repository a remote agent fetches and pushes over git-http.ts, or finds it again. Its objects are
 * the user's, read through alternates; its one branch starts at `commit`. Found again (a restart, a new task of the
 * same agent), its branch is left as the agent pushed it and its config is set again, so a repository made by an
 * older server gets today's rules. Only the server writes its config, so the server's git may run in it.
 */
export async function makeAgentBareRepo(options: AgentBareRepoOptions): Promise<{ created: boolean }> {
  const problem = agentBareRepoProblem(options.path);
  if (problem !== null && problem !== 'missing') throw new FleetError('failed', problem);
  const created = problem === 'missing';
  if (created) {
    mkdirSync(options.path, { recursive: true, mode: 0o700 });
    await git(options.path, ['init', '--quiet', '--bare', '--template=', `--initial-branch=${options.branch}`]);
    mkdirSync(join(options.path, 'objects', 'info'), { recursive: true });
    writeFileSync(join(options.path, 'objects', 'info', 'alternates'), `${join(options.sourceGitDir, 'objects')}\n`, {
      flag: 'wx',
    });
  }
  await applyServerConfig(options.path, options.branch);
  if (created) await git(options.path, ['update-ref', `refs/heads/${options.branch}`, options.commit, '']);
  return { created };
}

/**
 * Each step is atomic and every state between steps is at least as strict as the last (a push may arrive while a
 * repository found again is set again): a key is replaced, never unset first, and the second hideRefs entry, which
 * shows the branch again, comes last.
 */
async function applyServerConfig(path: string, branch: string): Promise<void> {
  const seen = new Set<string>();
  for (const [key, value] of serverConfig(branch)) {
    await git(path, ['config', seen.has(key) ? '--add' : '--replace-all', key, value]);
    seen.add(key);
  }
  // No HEAD but the branch: a clone checks the branch out.
  await git(path, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
}

/**
 * Null for a bare repository at `path`, 'missing' for nothing (or an empty folder), else why it is neither, in
 * words for the lead. Looked at without running git.
 */
export function agentBareRepoProblem(path: string): string | null {
  if (isMissingOrEmpty(path)) return 'missing';
  const isBare =
    ['HEAD', 'config', 'objects', 'refs'].every((entry) => existsSync(join(path, entry))) &&
    !existsSync(join(path, '.git'));
  if (isBare && lstatSync(join(path, 'objects')).isDirectory()) return null;
  return `${path} is not a remote agent's bare repository (an agent of another backend, or something else); move it away or delete the agent, then create it again`;
}
