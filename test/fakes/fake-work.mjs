// The scripted work both fake agent CLIs do: write the prompt into a file and, in a git worktree, commit it. Each
// step runs a real command in the working directory, so a fleet test sees real files and real commits.
import { spawnSync } from 'node:child_process';

export const FAKE_FILE = 'fake-agent-task.txt';

/** `git rev-parse --is-inside-work-tree` in the current directory. */
export function insideGitWorktree() {
  return spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' }).stdout.trim() === 'true';
}

/** The shell commands of the script: one that writes the file, then (in git) one that commits it. */
export function scriptedCommands(prompt) {
  const subject = `fake agent: ${prompt.split('\n')[0]}`;
  const write = `printf '%s\\n' ${quote(prompt)} > ${FAKE_FILE}`;
  return insideGitWorktree() ? [write, `git add -A && git commit -q -m ${quote(subject)}`] : [write];
}

/** Runs one command with sh; `{ exitCode, output }`. */
export function runCommand(command) {
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  return { exitCode: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

function quote(text) {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
