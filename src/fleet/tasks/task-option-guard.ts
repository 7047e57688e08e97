import { basename } from 'node:path';
import { FleetError } from '../errors.js';
import { TASK_PLACEHOLDER } from '../roles.js';
import type { Role } from '../types.js';

/** Shells whose `-c` takes the next operand as the script and every argument after it as $0, $1, …, never as an option. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);
/** Shell flags that take no value of their own (bash's -l and -i too), so the argument after them is not theirs (unlike -o or -O). */
const SHELL_FLAGS = /^-[abcefhiklmnprstuvxBCEHPT]+$/;
/** Placeholders that may have no value: an element holding one is left out, and the next one takes its place. */
const OPTIONAL_PLACEHOLDER = /\{(git_dir|git_common_dir|session_id)\}/;

/**
 * The index of the script in `sh -c <script> [<name> [<args>…]]` (flags such as -e may come with or before -c); -1 for
 * any other shape. Only this shape is known safe: a shell reads options up to its first operand, the script, so what
 * follows the script is never an option of the shell. A script that may be left out is no script: what follows it
 * would move into its place.
 */
function shellScriptIndex(argv: readonly string[]): number {
  if (!SHELLS.has(basename(argv[0] ?? ''))) return -1;
  let at = 1;
  let script = false;
  for (; at < argv.length && SHELL_FLAGS.test(argv[at]!); at += 1) script ||= argv[at]!.includes('c');
  return script && at < argv.length && !OPTIONAL_PLACEHOLDER.test(argv[at]!) ? at : -1;
}

/**
 * Whether a task text starting with "-" would reach the program as an option: an argument that starts with {task},
 * with no `--` before it, and neither after the script of `sh -c <script>` nor that script itself. `--x={task}` and
 * `Review: {task}` cannot. Where the task is the script, whoever writes it runs any command already: an option it
 * turns into gives the shell nothing more to do, so such a role is neither warned about nor refused.
 */
export function readsTaskAsOption(argv: readonly string[]): boolean {
  const script = shellScriptIndex(argv);
  return argv.some(
    (arg, at) =>
      at > 0 &&
      arg.startsWith(TASK_PLACEHOLDER) &&
      !argv.slice(1, at).includes('--') &&
      !(script !== -1 && at >= script),
  );
}

/** Every argv a task of the role may run with: fresh or continuing, in the sandbox or not. */
function roleArgvs(role: Role): string[][] {
  return [role.command, role.continue_command, role.sandbox.command, role.sandbox.continue_command].filter(
    (argv): argv is string[] => argv !== null,
  );
}

/** Whether the role's task text may be read as an option: not when its config declares the program takes none there. */
function passesTaskAsOption(role: Role): boolean {
  return !role.task_is_operand && roleArgvs(role).some(readsTaskAsOption);
}

export function unprotectedTaskRoles(roles: readonly Role[]): Role[] {
  return roles.filter(passesTaskAsOption);
}

/** The fix, as said at start-up and in a refusal. */
export const TASK_OPTION_FIX =
  'put "--" before {task} in its command and continue_command, or, if its program takes no options there, set "task_is_operand": true in the role';

/**
 * Refuses a task text starting with "-" for a role that would hand it to its program as an option: `--output=FILE`
 * would have `git log` write a file, and any CLI's options are the agent's to choose only if the role says so.
 */
export function assertTaskNotOption(role: Role, task: string): void {
  if (!task.startsWith('-') || !passesTaskAsOption(role)) return;
  throw new FleetError(
    'invalid_argument',
    `The task description starts with "-", which role "${role.name}" would pass to its program as an option. Start the text with another character, or fix the role in the fleet config: ${TASK_OPTION_FIX}.`,
  );
}
