import { FleetError } from '../errors.js';
import { git, HARDENED, type GitPlace } from '../review/git.js';
import { assertPlainRef, commitOf } from '../review/refs.js';
import { shellQuote } from '../review/shell-quote.js';

export interface FetchBranchOptions {
  /** The user's checkout, whose `refs/heads/<branch>` receives the work. */
  repoRoot: string;
  agentName: string;
  /** The agent's own repository. */
  agentRepo: string;
  branch: string;
  /** Where git reads the agent's repository: the agent's sandbox when it runs in one. */
  place?: GitPlace;
}

/**
 * Brings the agent's work into the user's repository: its branch `refs/heads/<branch>` and nothing else (no HEAD,
 * no other ref, no tag), onto the plain branch of the same name, every object checked (fsck) on the way in. The
 * agent's repository is read by `git upload-pack`, which git keeps from running anything the repository
 * configures, and which runs in the agent's own place. Returns the branch's commit.
 */
export async function fetchAgentBranch(options: FetchBranchOptions): Promise<string> {
  const ref = `refs/heads/${options.branch}`;
  await assertPlainRef(options.repoRoot, ref);
  const args = [
    ...['-c', 'protocol.file.allow=always', '-c', 'fetch.fsckObjects=true', '-c', 'transfer.fsckObjects=true'],
    ...['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--no-auto-gc'],
    `--upload-pack=${uploadPack(options.place)}`,
    options.agentRepo,
    `+${ref}:${ref}`,
  ];
  try {
    await git(options.repoRoot, args);
  } catch (error) {
    throw new FleetError('conflict', fetchFailure(options, (error as Error).message));
  }
  const commit = await commitOf(options.repoRoot, ref);
  if (commit === null)
    throw new FleetError('failed', `${ref} is missing in ${options.repoRoot} right after it was fetched`);
  return commit;
}

function fetchFailure(options: FetchBranchOptions, message: string): string {
  const kept = `nothing was fetched, and ${options.branch} in ${options.repoRoot} keeps the agent's work as last fetched`;
  if (/couldn't find remote ref/.test(message)) {
    return `agent "${options.agentName}" has no branch ${options.branch} in its repository (it deleted or renamed it); ${kept}`;
  }
  return `the branch ${options.branch} of agent "${options.agentName}" could not be fetched from its repository (${message}); ${kept}`;
}

/**
 * The command git runs (through a shell, with the repository's path after it) to read the agent's repository; the
 * files the place needs at fd 3, 4, … (the sandbox's seccomp filter) are opened there by the shell.
 */
function uploadPack(place: GitPlace | undefined): string {
  const argv = ['git', ...HARDENED, 'upload-pack'];
  const { argv: placed, inputFiles = [] } = place ? place(argv, {}) : { argv };
  return [...placed.map(shellQuote), ...inputFiles.map((file, index) => `${index + 3}<${shellQuote(file)}`)].join(' ');
}
