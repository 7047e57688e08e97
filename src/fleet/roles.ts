import * as z from 'zod';
import { DURATION_RULE, parseDuration } from '../duration.js';
import { OUTPUT_FORMATS, type OutputFormat } from './tasks/output/index.js';
import { findExecutable } from './executables.js';
import type { QuestionProtocol, Role } from './types.js';
import { backendChoiceSchema, limitsConfigSchema, secretNamesSchema } from './backends/backends-config.js';
import { budgetSchema } from './usage/budget.js';

export const TASK_PLACEHOLDER = '{task}';
export const SESSION_PLACEHOLDER = '{session_id}';

/** What a role gets when its config says nothing: long enough for real work, short enough that a hung CLI frees its slot. */
export const DEFAULT_TIMEOUT = '2h';
/** A CLI silent this long is taken as hung (e.g. waiting for a network that never answers). */
export const DEFAULT_IDLE_TIMEOUT = '15m';
/** A CLI waiting this long on a model API that gives no usable answer (retries, or nothing) is ended with the API's error. */
export const DEFAULT_PROVIDER_STALL = '5m';
const NO_LIMIT = 'none';

const ROLE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export interface BuiltinRole {
  name: string;
  command: readonly string[];
  /** The same run, continuing the agent's previous conversation; absent where the CLI cannot. */
  continue_command?: readonly string[];
  description: string;
  /** How a user installs its CLI, said where the role is missing. */
  install: string;
  output: OutputFormat;
  env?: Record<string, string>;
  /** What the CLI writes besides the worktree (its login, settings, sessions), writable inside the sandbox. */
  state: readonly string[];
  /** How its CLI asks its user, on the local backend, while the preset's own commands run (see Role.questions). */
  questions?: QuestionProtocol;
  /** The run inside the sandbox, where the CLI's own permission checks can be off; absent: the same run. */
  sandboxed?: { command: readonly string[]; continue_command?: readonly string[]; env?: Record<string, string> };
}

const CLAUDE_OPTIONS = [
  '-p',
  '--output-format=stream-json',
  '--verbose',
  '--permission-mode=acceptEdits',
  '--allowedTools=Bash,WebFetch,WebSearch',
];
// Inside the sandbox Claude Code may skip its permission checks; as root it refuses to unless IS_SANDBOX=1 says a
// sandbox is the boundary, which is then true.
const CLAUDE_SANDBOXED_OPTIONS = [
  '-p',
  '--output-format=stream-json',
  '--verbose',
  '--permission-mode=bypassPermissions',
];
const CODEX_SANDBOXED = [
  'codex',
  'exec',
  '--json',
  '--dangerously-bypass-approvals-and-sandbox',
  '--skip-git-repo-check',
];
const GEMINI_OPTIONS = ['--skip-trust', '--approval-mode=yolo', '--output-format=stream-json'];

/**
 * Agent CLIs offered without any configuration when their binary is on PATH. Each preset runs its CLI
 * non-interactively (nobody can answer a prompt), lets it edit files in its worktree and run commands (so it can
 * commit), works as root, puts the task text after `--` so it is never read as an option, and asks for structured
 * output that `output` names the parser of. Its continue_command resumes the conversation of the agent's previous
 * task: by the worktree (claude, gemini: each worktree is its own directory, so "the latest" is this agent's) or by
 * the session id the previous run printed (codex, and opencode, whose sessions are shared by all worktrees of a
 * repository). The versions they were verified with are in the README.
 */
export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  {
    name: 'claude',
    install: 'npm install -g @anthropic-ai/claude-code',
    command: ['claude', ...CLAUDE_OPTIONS, '--', TASK_PLACEHOLDER],
    continue_command: ['claude', ...CLAUDE_OPTIONS, '--continue', '--', TASK_PLACEHOLDER],
    description:
      "Claude Code in print mode: edits files inside its worktree, runs any shell command (git commit included) and fetches web pages, without prompting; edits outside the worktree are denied. On the local backend it may ask its user a question (the agent's `question`) and wait for the answer.",
    output: 'claude',
    questions: 'claude-stdio',
    // Without a bound Claude Code retries an overloaded or failing API for minutes before it reports the error.
    env: { CLAUDE_CODE_MAX_RETRIES: '3' },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style default, expanded by expandState
    state: ['${CLAUDE_CONFIG_DIR:-~/.claude}', '~/.claude.json'],
    sandboxed: {
      command: ['claude', ...CLAUDE_SANDBOXED_OPTIONS, '--', TASK_PLACEHOLDER],
      continue_command: ['claude', ...CLAUDE_SANDBOXED_OPTIONS, '--continue', '--', TASK_PLACEHOLDER],
      env: { IS_SANDBOX: '1' },
    },
  },
  {
    name: 'codex',
    install: 'npm install -g @openai/codex',
    // workspace-write keeps the sandbox but protects a linked worktree's git dir, so both git dirs are added as
    // writable roots (left out in a project that is not a git repository, which needs --skip-git-repo-check).
    command: [
      'codex',
      'exec',
      '--json',
      '--sandbox=workspace-write',
      '--skip-git-repo-check',
      '--add-dir={git_common_dir}',
      '--add-dir={git_dir}',
      '--',
      TASK_PLACEHOLDER,
    ],
    // `exec resume` has no --sandbox or --add-dir: the same settings are given as config overrides.
    continue_command: [
      'codex',
      'exec',
      'resume',
      '--json',
      '--skip-git-repo-check',
      '--config=sandbox_mode="workspace-write"',
      '--config=sandbox_workspace_write.writable_roots=["{git_common_dir}","{git_dir}"]',
      '--',
      SESSION_PLACEHOLDER,
      TASK_PLACEHOLDER,
    ],
    description:
      'OpenAI Codex CLI (codex exec) in its workspace-write sandbox: edits files in its worktree, runs commands and commits, without prompting; writes outside the worktree, its git dirs and /tmp, and network access from commands, are denied.',
    output: 'codex',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style default, expanded by expandState
    state: ['${CODEX_HOME:-~/.codex}'],
    // Codex's own sandbox would only repeat ours (and cannot nest in it everywhere): inside, commands run unchecked.
    sandboxed: {
      command: [...CODEX_SANDBOXED, '--', TASK_PLACEHOLDER],
      continue_command: [
        'codex',
        'exec',
        'resume',
        ...CODEX_SANDBOXED.slice(2),
        '--',
        SESSION_PLACEHOLDER,
        TASK_PLACEHOLDER,
      ],
    },
  },
  {
    name: 'gemini',
    install: 'npm install -g @google/gemini-cli',
    // Every worktree is a new directory the CLI has never trusted (exit 55 without --skip-trust); yolo approves
    // every tool call, since nobody can answer a prompt.
    command: ['gemini', ...GEMINI_OPTIONS, `--prompt=${TASK_PLACEHOLDER}`],
    continue_command: ['gemini', ...GEMINI_OPTIONS, '--resume=latest', `--prompt=${TASK_PLACEHOLDER}`],
    description:
      'Gemini CLI in headless mode with every tool call approved (yolo): edits files in its worktree and runs any shell command (git commit included) without prompting; its file tools refuse paths outside the worktree, its shell is not sandboxed.',
    output: 'gemini',
    state: ['~/.gemini'],
  },
  {
    name: 'opencode',
    install: 'npm install -g opencode-ai',
    command: ['opencode', 'run', '--format=json', '--', TASK_PLACEHOLDER],
    continue_command: ['opencode', 'run', '--format=json', `--session=${SESSION_PLACEHOLDER}`, '--', TASK_PLACEHOLDER],
    description:
      'opencode run: edits files inside its worktree and runs shell commands (git commit included) under its default permissions; whatever would ask (e.g. a path outside the worktree) is rejected.',
    output: 'opencode',
    // Parallel agents must not each try to update the shared opencode binary.
    env: { OPENCODE_DISABLE_AUTOUPDATE: '1' },
    state: ['~/.local/share/opencode', '~/.config/opencode', '~/.cache/opencode', '~/.local/state/opencode'],
  },
  {
    name: 'aider',
    install: 'pipx install aider-chat',
    command: ['aider', '--yes', `--message=${TASK_PLACEHOLDER}`],
    description: 'Aider (aider --yes --message): applies the task and exits. Not verified against the real CLI.',
    output: 'text',
    state: ['~/.aider'],
  },
];
const BUILTIN_NAMES = new Set(BUILTIN_ROLES.map((role) => role.name));

/** The verified presets' CLIs and how to install each, for a fleet that has none. */
export const AGENT_CLI_INSTALL_HINT = BUILTIN_ROLES.filter((role) => role.name !== 'aider')
  .map((role) => `${role.name} (${role.install})`)
  .join(', ');

/**
 * Why a built-in preset is not offered, for a caller who asked for it by name; null for any other name. Its CLI is
 * missing, or it is on PATH and so the config disables it (or it came after the roles were last read).
 */
export function absentPresetReason(name: string, pathEnv: string | undefined): string | null {
  const builtin = BUILTIN_ROLES.find((role) => role.name === name);
  if (!builtin) return null;
  const program = builtin.command[0]!;
  if (findExecutable(program, { pathEnv, cwd: '/' })) {
    return `Role "${name}" is a built-in preset that is not offered: the fleet config disables it, or its CLI "${program}" was installed after the server read its roles (restart the server).`;
  }
  return `Role "${name}" is a built-in preset, but its CLI "${program}" is not installed on the server's PATH: install it (${builtin.install}), then restart the server.`;
}

/** A role's timeout in milliseconds; a zero duration is no limit a user would mean, so it is refused too. */
function timeoutMs(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function limitSchema(key: string) {
  return z
    .string()
    .refine((text) => text.trim() === NO_LIMIT || timeoutMs(text) !== undefined, {
      error: `${key} must be ${DURATION_RULE}, above zero, or "${NO_LIMIT}"`,
    })
    .optional();
}

/** A limit as configured: the default when left out, null for "none". */
function limit(text: string | undefined, fallback: string): { text: string | null; ms: number | null } {
  const chosen = (text ?? fallback).trim();
  if (chosen === NO_LIMIT) return { text: null, ms: null };
  return { text: chosen, ms: timeoutMs(chosen) ?? null };
}

function argvSchema(key: string) {
  return z
    .array(
      z
        .string()
        .min(1, { error: `${key} elements must not be empty` })
        .refine((arg) => !arg.includes('\0'), { error: `${key} elements must not contain NUL` }),
    )
    .min(1, { error: `${key} must name a program` })
    .refine((argv) => argv.some((arg) => arg.includes(TASK_PLACEHOLDER)), {
      error: `${key} must contain ${TASK_PLACEHOLDER} in one of its elements, where the task text goes`,
    });
}

const sandboxConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  network: z.boolean().optional(),
  unix_sockets: z.boolean().optional(),
  writable: z
    .array(
      z.string().refine((path) => /^(\/|~\/|\$\{[A-Za-z_][A-Za-z0-9_]*:-[/~])/.test(path), {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: names the shell-style syntax to the user
        error: 'sandbox.writable paths must be absolute, start with ~/, or be ${VARIABLE:-path}',
      }),
    )
    .optional(),
  // A refinement, not array(number()): inside the union a type error is reported as the union's, which names no port.
  ports: z
    .unknown()
    .refine(isPortList, { error: 'sandbox.ports must be a list of host loopback port numbers 1-65535, e.g. [5432]' })
    .transform((ports) => ports as number[])
    .optional(),
});

function isPortList(ports: unknown): boolean {
  return Array.isArray(ports) && ports.every((port) => Number.isInteger(port) && port >= 1 && port <= 65535);
}

const roleConfigSchema = z.strictObject({
  command: argvSchema('command').optional(),
  /** null: this role never continues a conversation (e.g. to turn a built-in's off). */
  continue_command: argvSchema('continue_command').nullable().optional(),
  description: z.string().optional(),
  default: z.boolean().optional(),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'env names are letters, digits and _' }), z.string())
    .optional(),
  output: z.enum(OUTPUT_FORMATS, { error: `output must be one of ${OUTPUT_FORMATS.join(', ')}` }).optional(),
  timeout: limitSchema('timeout'),
  idle_timeout: limitSchema('idle_timeout'),
  provider_stall: limitSchema('provider_stall'),
  budget: budgetSchema.optional(),
  projects: z
    .array(z.string().min(1))
    .min(1, { error: 'projects must list at least one project, or be left out' })
    .optional(),
  disabled: z.boolean().optional(),
  autocommit: z.boolean().optional(),
  sandbox: z
    .union([z.boolean(), sandboxConfigSchema], {
      error: 'sandbox must be true, false or an object with enabled, network, ports, unix_sockets, writable',
    })
    .optional(),
  /** The program takes no options where {task} stands, so a task text starting with "-" is not one of its options. */
  task_is_operand: z.boolean({ error: 'task_is_operand must be true or false' }).optional(),
  /** Where its agents run: "local" or an entry of "backends"; left out, the project's backend. */
  backend: backendChoiceSchema.optional(),
  /** On an engine backend: the limits of each task, over the backend's own. */
  limits: limitsConfigSchema.optional(),
  /** On an engine backend: the server's variables its tasks get as secrets, besides the backend's. */
  secrets: secretNamesSchema.optional(),
});
export type RoleConfig = z.infer<typeof roleConfigSchema>;

/** The `roles` key of the fleet config file. */
export const rolesConfigSchema = z
  .record(
    z.string().regex(ROLE_NAME_PATTERN, {
      error: 'role names are 1-32 letters, digits, "-", "_" or ".", starting with a letter or digit',
    }),
    roleConfigSchema,
  )
  .superRefine((roles, ctx) => {
    for (const [name, role] of Object.entries(roles)) {
      if (!role.command && !role.disabled && !BUILTIN_NAMES.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'command'],
          message: `command is required (only the built-in roles ${[...BUILTIN_NAMES].join(', ')} may leave it out)`,
        });
      }
    }
    const defaults = Object.entries(roles).filter(([, role]) => role.default && !role.disabled);
    if (defaults.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `only one role may be the default (found ${defaults.map(([name]) => name).join(', ')})`,
      });
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
    // A command of the config's own replaces the preset's run: the preset's way to continue may not fit it.
    const continueCommand = ownCommand || !builtin.continue_command ? undefined : [...builtin.continue_command];
    const preset: RoleConfig = {
      command: [...builtin.command],
      continue_command: continueCommand,
      description: builtin.description,
      output: builtin.output,
      env: builtin.env,
    };
    const role = toRole(
      builtin.name,
      { ...preset, ...override, env: { ...builtin.env, ...override?.env } },
      ownCommand ? 'config' : 'builtin',
    );
    // A command of the config's own is run as written: only the preset's commands are turned to ask through stdin.
    const questions = ownCommand || override?.continue_command !== undefined ? null : (builtin.questions ?? null);
    roles.push(withPresetSandbox({ ...role, questions }, builtin, override));
  }
  for (const [name, role] of Object.entries(config)) {
    if (BUILTIN_NAMES.has(name) || role.disabled) continue;
    roles.push(toRole(name, role, 'config'));
  }
  return roles;
}

function toRole(name: string, config: RoleConfig, source: Role['source']): Role {
  const timeout = limit(config.timeout, DEFAULT_TIMEOUT);
  const idle = limit(config.idle_timeout, DEFAULT_IDLE_TIMEOUT);
  const stall = limit(config.provider_stall, DEFAULT_PROVIDER_STALL);
  return {
    name,
    command: config.command ?? [],
    continue_command: config.continue_command ?? null,
    description: config.description ?? `Runs: ${(config.command ?? []).join(' ')}`,
    default: config.default ?? false,
    env: config.env ?? {},
    output: config.output ?? 'text',
    timeout: timeout.text,
    timeout_ms: timeout.ms,
    idle_timeout: idle.text,
    idle_timeout_ms: idle.ms,
    provider_stall: stall.text,
    provider_stall_ms: stall.ms,
    budget: config.budget ?? null,
    projects: config.projects ?? null,
    source,
    autocommit: config.autocommit ?? true,
    sandbox: roleSandbox(config.sandbox),
    task_is_operand: config.task_is_operand ?? false,
    questions: null,
    backend: config.backend ?? null,
    limits: config.limits ?? {},
    secrets: config.secrets ?? [],
  };
}

function roleSandbox(config: RoleConfig['sandbox']): Role['sandbox'] {
  const settings = typeof config === 'object' ? config : {};
  // An object configures the sandbox, so it asks for it unless it says otherwise.
  const enabled = typeof config === 'boolean' ? config : config ? (config.enabled ?? true) : null;
  const ports = [...new Set(settings.ports ?? [])];
  return {
    enabled,
    network: settings.network ?? true,
    ports,
    unix_sockets: settings.unix_sockets ?? false,
    writable: settings.writable ?? [],
    command: null,
    continue_command: null,
    env: {},
  };
}

/** The preset's state paths, and its sandboxed run where the config kept the preset's own commands. */
function withPresetSandbox(role: Role, builtin: BuiltinRole, override: RoleConfig | undefined): Role {
  const sandbox = { ...role.sandbox, writable: [...builtin.state, ...role.sandbox.writable] };
  const sandboxed = builtin.sandboxed;
  if (sandboxed && override?.command === undefined) {
    sandbox.command = [...sandboxed.command];
    sandbox.env = { ...sandboxed.env };
    if (override?.continue_command === undefined)
      sandbox.continue_command = sandboxed.continue_command ? [...sandboxed.continue_command] : null;
    else sandbox.continue_command = override.continue_command;
  }
  return { ...role, sandbox };
}

/** The values of the placeholders of one task; null where the agent has none (git dirs outside a git project). */
export interface ArgvValues {
  task: string;
  workdir: string;
  git_dir: string | null;
  git_common_dir: string | null;
  /** The session id the agent's previous task reported, for a continue_command that resumes by id. */
  session_id?: string | null;
}

const PLACEHOLDER = /\{(task|workdir|git_dir|git_common_dir|session_id)\}/g;

/**
 * The argv for one task: placeholders replaced literally inside each element in one pass (so a task text holding
 * "{workdir}" stays as written), never shell input. An element with a placeholder that has no value is left out
 * whole, so `--add-dir={git_common_dir}` simply disappears outside a git project.
 */
export function taskArgv(template: readonly string[], values: ArgvValues): string[] {
  const argv: string[] = [];
  for (const arg of template) {
    const names = [...arg.matchAll(PLACEHOLDER)].map((match) => match[1] as keyof ArgvValues);
    if (names.some((name) => values[name] == null)) continue;
    argv.push(arg.replace(PLACEHOLDER, (_, name: keyof ArgvValues) => values[name]!));
  }
  return argv;
}

/** Whether the continue argv resumes by the previous session's id, which the previous task must have reported. */
export function needsSessionId(argv: readonly string[]): boolean {
  return argv.some((arg) => arg.includes(SESSION_PLACEHOLDER));
}
