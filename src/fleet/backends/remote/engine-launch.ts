import { relative } from 'node:path';
import { LaunchError } from '../local/sandbox/launcher.js';
import type { Project } from '../../projects.js';
import type { AgentRecord } from '../../store.js';
import type { Role, TaskRecord } from '../../types.js';
import { parseSize, type BackendConfig, type BackendsConfig, type LimitsConfig } from '../backends-config.js';
import type { AgentRuntime, RemoteTaskSpec, TaskLimits } from './agent-runtime.js';
import type { GitCredentials } from './git-credentials.js';
import type { TaskControl } from '../../tasks/runner.js';
import { followEngineTask, type EngineTaskOptions } from './engine-task.js';
import { taskCommand } from './task-script.js';

/** How the fleet reaches its engines; set where the fleet serves HTTP, which agents on an engine fetch and push over. */
export interface EngineSettings {
  /** The `backends` of the fleet config. */
  backends: BackendsConfig;
  /** This server's base URL as an agent on the host network reaches it; null where no HTTP port is served. */
  localUrl(): string | null;
  /** Whether /mcp asks for a token: an agent on the host network reaches this server's loopback port. */
  authEnabled: boolean;
  credentials: GitCredentials;
  /** Labels every engine object of this server's tasks, so a restarted server finds its own and no other fleet's. */
  serverId: string;
  /** The engine of a backend, made once (see runtimes.ts). */
  runtime(backend: NamedBackend): Promise<AgentRuntime>;
}

export type NamedBackend = BackendConfig & { name: string };

/** The task's git credential, as the task script reads it. */
export const GIT_PASSWORD = 'FLEET_GIT_PASSWORD';

/** What a task's launch on its engine needs besides the fleet's settings. */
export interface EngineLaunchParts {
  record: AgentRecord;
  role: Role;
  task: TaskRecord;
  project: Project | undefined;
  stopGraceMs: number;
  baseEnv: NodeJS.ProcessEnv;
}

/** The engine backend of an agent, or why its tasks cannot start there, in one line with the fix. */
function engineBackend(
  settings: EngineSettings | undefined,
  record: AgentRecord,
): { settings: EngineSettings; backend: NamedBackend } {
  const name = record.agent.backend;
  if (!settings)
    throw new LaunchError(
      `agent "${record.agent.name}" runs on backend "${name}", and this fleet serves no HTTP port for its git: run it under fleet-mcp serve`,
    );
  const backend = settings.backends[name];
  if (!backend)
    throw new LaunchError(
      `agent "${record.agent.name}" runs on backend "${name}", which the fleet config no longer has: add it back to "backends", or delete the agent`,
    );
  return { settings, backend: { ...backend, name } };
}

/**
 * Why an agent of `role` cannot run on the backend, checked before anything is made for it: a secret missing from
 * the server's environment, no git URL the agents can reach, or the host network open to a server without auth.
 */
export function engineProblem(
  settings: EngineSettings,
  backend: NamedBackend,
  role: Role,
  env: NodeJS.ProcessEnv,
): string | null {
  const missing = secretNames(backend, role).find((name) => !env[name]);
  if (missing) {
    return `secret ${missing} of backend "${backend.name}" / role "${role.name}" is not set in the server's environment: set it where fleet-mcp serve runs (e.g. a systemd credential or EnvironmentFile), or leave it out of "secrets"`;
  }
  if (backend.network === 'none') {
    return `backend "${backend.name}" runs agents on network "none", where they reach no git endpoint to get their work and give it back: use "host", or a network that reaches "git_url"`;
  }
  if (gitUrl(settings, backend) === null) {
    return `backend "${backend.name}" runs agents on network "${backend.network}", where they cannot reach this server at 127.0.0.1: set its "git_url" to this server's address as its agents reach it`;
  }
  if (backend.network === 'host' && !settings.authEnabled) {
    return `backend "${backend.name}" runs agents on the host network, where they reach this server's /mcp, and auth is off: turn auth on (FLEET_MCP_AUTH_ENABLED=true), or give the backend a network of its own and a "git_url"`;
  }
  return null;
}

/** A task's launch on its engine, checked; `start` starts it there and follows it (see engine-task.ts). */
export interface PreparedEngineLaunch {
  /** The role as it runs there: no conversation to continue. */
  role: Role;
  note: string;
  start(run: { argv: string[] } & Pick<EngineTaskOptions, 'files' | 'note'>): TaskControl;
}

/**
 * The task's launch on its engine: the server starts the task script in the backend's image with the role's command
 * line, hands it its secrets, the task's git credential among them, and follows it itself.
 */
export function prepareEngineLaunch(
  configured: EngineSettings | undefined,
  parts: EngineLaunchParts,
): PreparedEngineLaunch {
  const { record, role, task } = parts;
  const { settings, backend } = engineBackend(configured, record);
  const problem = engineProblem(settings, backend, role, parts.baseEnv);
  if (problem) throw new LaunchError(problem);
  const { git } = record;
  const branch = record.agent.branch;
  if (!git || !branch)
    throw new LaunchError(
      `agent "${record.agent.name}" has no repository of its own, which an agent on an engine gets its work from: delete it, and create it in a git project`,
    );
  // Each task is a fresh clone: a CLI's conversation of an earlier task is not there to continue.
  const engineRole: Role = { ...role, continue_command: null };
  return {
    role: engineRole,
    note: `on backend "${backend.name}" (${backend.engine}, image ${backend.image}, network ${backend.network})`,
    start: ({ argv, files, note }) => {
      const secrets = Object.fromEntries(secretNames(backend, role).map((name) => [name, parts.baseEnv[name]!]));
      const spec: RemoteTaskSpec = {
        ...taskSpec(settings, backend, parts, { argv, repoRoot: git.repo_root, branch }),
        secrets: {
          ...secrets,
          [GIT_PASSWORD]: settings.credentials.issue({ agent: record.agent.name, task: task.id }),
        },
      };
      return followEngineTask({
        runtime: settings.runtime(backend),
        files,
        note,
        labels: spec.labels,
        spec,
        memoryBytes: spec.limits.memoryBytes,
        stopGraceMs: parts.stopGraceMs,
      });
    },
  };
}

/**
 * Follows again a task on an engine that a previous server started: found by its labels, never started anew, its
 * output taken from where its run files end.
 */
export function resumeEngineTask(
  configured: EngineSettings | undefined,
  parts: Pick<EngineLaunchParts, 'record' | 'task' | 'stopGraceMs'> & Pick<EngineTaskOptions, 'files' | 'note'>,
): TaskControl {
  const labels = { server: configured?.serverId ?? '', agent: parts.record.agent.name, task: parts.task.id };
  let runtime: Promise<AgentRuntime>;
  try {
    const { settings, backend } = engineBackend(configured, parts.record);
    runtime = settings.runtime(backend);
  } catch (error) {
    // A server without its engine (the stdio fleet host, a config that lost the backend) ends the task lost, saying why.
    runtime = Promise.reject(error);
  }
  return followEngineTask({
    runtime,
    files: parts.files,
    note: parts.note,
    labels,
    spec: null,
    memoryBytes: null,
    stopGraceMs: parts.stopGraceMs,
  });
}

function taskSpec(
  settings: EngineSettings,
  backend: BackendConfig,
  parts: Pick<EngineLaunchParts, 'record' | 'role' | 'task' | 'project'>,
  run: { argv: string[]; repoRoot: string; branch: string },
): Omit<RemoteTaskSpec, 'secrets'> {
  const { record, role } = parts;
  const { argv, repoRoot, branch } = run;
  const prefix = parts.project ? relative(repoRoot, parts.project.path) : '';
  return {
    labels: { server: settings.serverId, agent: record.agent.name, task: parts.task.id },
    image: backend.image,
    command: taskCommand(argv),
    env: {
      ...role.env,
      FLEET_GIT_URL: `${gitUrl(settings, backend)}/git/${record.agent.name}`,
      FLEET_GIT_BRANCH: branch,
      FLEET_WORKDIR_PREFIX: prefix.startsWith('..') ? '' : prefix,
    },
    limits: taskLimits({ ...backend.limits, ...role.limits }),
    network: backend.network,
    readOnlyMounts: backend.mounts,
  };
}

function secretNames(backend: BackendConfig, role: Role): string[] {
  return [...new Set([...backend.secrets, ...role.secrets])];
}

function gitUrl(settings: EngineSettings, backend: BackendConfig): string | null {
  if (backend.git_url) return backend.git_url.replace(/\/+$/, '');
  return backend.network === 'host' ? settings.localUrl() : null;
}

function taskLimits(limits: LimitsConfig): TaskLimits {
  return {
    cpus: limits.cpus ?? null,
    memoryBytes: limits.memory === undefined ? null : parseSize(limits.memory),
    pids: limits.pids ?? null,
  };
}
