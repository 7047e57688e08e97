import { z } from 'zod';
import { DURATION_RULE, parseDuration } from '../duration.js';
import type { OutputFormat } from './agent-output/index.js';
import { findExecutable } from './executables.js';
import type { Role } from './types.js';

export const TASK_PLACEHOLDER = '{task}';

const ROLE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** Agent CLIs offered without any configuration when their binary is on PATH. */
export const BUILTIN_ROLES: readonly { name: string; command: readonly string[]; description: string; output: OutputFormat; env?: Readonly<Record<string, string>> }[] = [
  { name: 'claude', command: ['claude', '-p', TASK_PLACEHOLDER], description: 'Claude Code in print mode (claude -p): runs the task non-interactively and exits.', output: 'text' },
  {
    name: 'codex',
    // workspace-write keeps the sandbox but protects a linked worktree's git dir, so both git dirs are added as
    // writable roots (left out in a project that is not a git repository, which needs --skip-git-repo-check).
    command: ['codex', 'exec', '--json', '--sandbox=workspace-write', '--skip-git-repo-check', '--add-dir={git_common_dir}', '--add-dir={git_dir}', '--', TASK_PLACEHOLDER],
    description: 'OpenAI Codex CLI (codex exec) in its workspace-write sandbox: edits files in its worktree, runs commands and commits, without prompting; writes outside the worktree, its git dirs and /tmp, and network access from commands, are denied.',
    output: 'codex',
  },
  {
    name: 'gemini',
    // Every worktree is a new directory the CLI has never trusted (exit 55 without --skip-trust); yolo approves
    // every tool call, since nobody can answer a prompt.
    command: ['gemini', '--skip-trust', '--approval-mode=yolo', '--output-format=stream-json', `--prompt=${TASK_PLACEHOLDER}`],
    description: 'Gemini CLI in headless mode with every tool call approved (yolo): edits files in its worktree and runs any shell command (git commit included) without prompting; its file tools refuse paths outside the worktree, its shell is not sandboxed.',
    output: 'gemini',
  },
  { name: 'opencode', command: ['opencode', 'run', TASK_PLACEHOLDER], description: 'opencode (opencode run): runs the task non-interactively and exits.', output: 'text' },
  { name: 'aider', command: ['aider', '--yes', '--message', TASK_PLACEHOLDER], description: 'Aider (aider --yes --message): applies the task and exits.', output: 'text' },
];
const BUILTIN_NAMES = new Set(BUILTIN_ROLES.map((role) => role.name));

/** A role's timeout in milliseconds; a zero duration is no limit a user would mean, so it is refused too. */
function timeoutMs(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

const roleConfigSchema = z.strictObject({
  command: z
    .array(z.string().min(1, { error: 'command elements must not be empty' }).refine((arg) => !arg.includes('\0'), { error: 'command elements must not contain NUL' }))
    .min(1, { error: 'command must name a program' })
    .refine((argv) => argv.some((arg) => arg.includes(TASK_PLACEHOLDER)), {
      error: `command must contain ${TASK_PLACEHOLDER} in one of its elements, where the task text goes`,
    })
    .optional(),
  description: z.string().optional(),
  default: z.boolean().optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'env names are letters, digits and _' }), z.string()).optional(),
  timeout: z
    .string()
    .refine((text) => timeoutMs(text) !== undefined, { error: `timeout must be ${DURATION_RULE}, above zero` })
    .optional(),
  projects: z.array(z.string().min(1)).min(1, { error: 'projects must list at least one project, or be left out' }).optional(),
  disabled: z.boolean().optional(),
});
export type RoleConfig = z.infer<typeof roleConfigSchema>;

/** The `roles` key of the fleet config file. */
export const rolesConfigSchema = z
  .record(z.string().regex(ROLE_NAME_PATTERN, { error: 'role names are 1-32 letters, digits, "-", "_" or ".", starting with a letter or digit' }), roleConfigSchema)
  .superRefine((roles, ctx) => {
    for (const [name, role] of Object.entries(roles)) {
      if (!role.command && !role.disabled && !BUILTIN_NAMES.has(name)) {
        ctx.addIssue({ code: 'custom', path: [name, 'command'], message: `command is required (only the built-in roles ${[...BUILTIN_NAMES].join(', ')} may leave it out)` });
      }
    }
    const defaults = Object.entries(roles).filter(([, role]) => role.default && !role.disabled);
    if (defaults.length > 1) {
      ctx.addIssue({ code: 'custom', path: [], message: `only one role may be the default (found ${defaults.map(([name]) => name).join(', ')})` });
    }
  });
export type RolesConfig = z.infer<typeof rolesConfigSchema>;

/**
 * The roles on offer: built-ins whose binary is on PATH, then the config's own roles. The config may override
 * any field of a built-in (a built-in with its own command is offered even when the preset binary is missing)
 * or disable it.
 */
export function resolveRoles(rolesConfig: RolesConfig | undefined, options: { pathEnv: string | undefined }): Role[] {
  const config = rolesConfig ?? {};
  const roles: Role[] = [];
  for (const builtin of BUILTIN_ROLES) {
    const override = config[builtin.name];
    if (override?.disabled) continue;
    const ownCommand = override?.command !== undefined;
    if (!ownCommand && !findExecutable(builtin.command[0]!, { pathEnv: options.pathEnv, cwd: '/' })) continue;
    roles.push(toRole(builtin.name, { command: [...builtin.command], description: builtin.description, ...override }, ownCommand ? 'config' : 'builtin'));
  }
  for (const [name, role] of Object.entries(config)) {
    if (BUILTIN_NAMES.has(name) || role.disabled) continue;
    roles.push(toRole(name, role, 'config'));
  }
  return roles;
}

function toRole(name: string, config: RoleConfig, source: Role['source']): Role {
  return {
    name,
    command: config.command ?? [],
    description: config.description ?? `Runs: ${(config.command ?? []).join(' ')}`,
    default: config.default ?? false,
    env: config.env ?? {},
    timeout: config.timeout ?? null,
    timeout_ms: config.timeout === undefined ? null : (timeoutMs(config.timeout) ?? null),
    projects: config.projects ?? null,
    source,
  };
}

/** The argv for one task: `{task}` replaced literally inside each element, so the text is one argument, never shell input. */
export function taskArgv(role: Role, task: string): string[] {
  return role.command.map((arg) => arg.split(TASK_PLACEHOLDER).join(task));
}
