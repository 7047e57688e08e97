import { HARDENED, type GitPlace } from './git.js';
import { shellQuote } from './shell-quote.js';

const GIT = ['git', ...HARDENED].map(shellQuote).join(' ');

/**
 * Copies the repository's index into a temp folder of its own, adds everything uncommitted to the copy (`git add
 * -A`, which respects .gitignore), then runs the command with GIT_INDEX_FILE pointing at it and removes the copy.
 * It runs where the command runs (in a sandbox: its private /tmp), so the server writes nothing into a folder the
 * agent can reach.
 */
const SCRIPT = [
  'set -e',
  'scratch=$(mktemp -d)',
  `trap 'rm -rf "$scratch"' EXIT`,
  `real=$(${GIT} rev-parse --git-path index)`,
  'if [ -f "$real" ]; then cp "$real" "$scratch/index"; fi',
  'GIT_INDEX_FILE="$scratch/index"',
  'export GIT_INDEX_FILE',
  `${GIT} add -A`,
  '"$@"',
].join('\n');

/**
 * A place whose git commands see everything uncommitted as staged: diffs against its index then show untracked
 * files too, while the repository's real index, and so what the agent has staged, stays exactly as it was.
 */
export function everythingAdded(place: GitPlace | undefined): GitPlace {
  return (argv, env, cwd) => {
    const wrapped = ['sh', '-c', SCRIPT, 'sh', ...argv];
    return place ? place(wrapped, env, cwd) : { argv: wrapped, env };
  };
}
