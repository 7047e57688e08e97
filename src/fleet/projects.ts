import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isAbsolute } from 'node:path';
import * as z from 'zod';
import { DURATION_RULE, parseDuration } from '../duration.js';
import { expandPath } from '../paths.js';
import { backendChoiceSchema } from './backends/backends-config.js';
import { budgetSchema, type Budget } from './usage/budget.js';

/** How a new worktree of the project is made ready before the agent's first task. */
export interface ProjectSetup {
  /** Files copied from the project's main checkout (git-ignored ones included), relative to the project directory. */
  copy: string[];
  /** Run in the new worktree, without a shell; null when only files are copied. */
  command: string[] | null;
  /** As configured ("10m"). */
  timeout: string;
  timeout_ms: number;
}

/** A check the project's own hooks would have run, run by fleet-mcp in the agent's place before a merge. */
export interface ProjectCheck {
  command: string[];
  /** As configured ("10m"). */
  timeout: string;
  timeout_ms: number;
}

export interface Project {
  name: string;
  /** Absolute path of an existing directory. */
  path: string;
  description: string;
  /** The branch, tag or commit agents start from when create_agent names none; absent: the main checkout's HEAD branch. */
  base?: string;
  setup?: ProjectSetup;
  check?: ProjectCheck;
  /** true: every agent of the project runs sandboxed, whatever its role says; false: the default sandbox is off here. */
  sandbox?: boolean;
  /** "local" or an engine backend of the config, for roles that do not choose one. */
  backend?: string;
  /** The most all tasks on this project together may spend, counted across restarts and deleted agents. */
  budget?: Budget;
}

export const DEFAULT_SETUP_TIMEOUT = '10m';

export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const setupSchema = z.strictObject({
  copy: z
    .array(
      z.string().refine((file) => file !== '' && !isAbsolute(file) && !file.split(/[\\/]/).includes('..'), {
        error: 'setup.copy paths must be relative to the project directory, without ".."',
      }),
    )
    .default([]),
  command: z
    .array(z.string().min(1, { error: 'setup.command elements must not be empty' }))
    .min(1, { error: 'setup.command must name a program, as an argv list such as ["npm", "ci"]' })
    .optional(),
  timeout: z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) > 0, { error: `setup.timeout must be ${DURATION_RULE}, above zero` })
    .default(DEFAULT_SETUP_TIMEOUT),
});

const checkSchema = z.strictObject({
  command: z
    .array(z.string().min(1, { error: 'check.command elements must not be empty' }))
    .min(1, { error: 'check.command must name a program, as an argv list such as ["npm", "test"]' }),
  timeout: z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) > 0, { error: `check.timeout must be ${DURATION_RULE}, above zero` })
    .default(DEFAULT_SETUP_TIMEOUT),
});

export const projectEntrySchema = z.strictObject({
  path: z.string().trim().min(1, { error: '"path" must not be empty' }),
  description: z.string().default(''),
  base: z
    .string()
    .trim()
    .min(1, { error: '"base" must not be empty' })
    .refine((base) => !base.startsWith('-'), {
      error: '"base" must be a branch, tag or commit name, not starting with "-"',
    })
    .optional(),
  setup: setupSchema.optional(),
  check: checkSchema.optional(),
  sandbox: z.boolean({ error: '"sandbox" must be true or false' }).optional(),
  budget: budgetSchema.optional(),
  /** Where its agents run unless their role says: "local" or an entry of "backends". */
  backend: backendChoiceSchema.optional(),
});

export type ProjectEntry = z.infer<typeof projectEntrySchema>;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Turns the config file's project entries into projects; relative paths are taken from the file's folder. */
export function resolveProjects(entries: Record<string, ProjectEntry>, configFile: string): Project[] {
  return Object.entries(entries).map(([name, entry]) => {
    const path = expandPath(entry.path, dirname(configFile));
    if (!isDirectory(path)) throw new Error(`project "${name}": ${path} is not an existing directory`);
    const project: Project = { name, path, description: entry.description };
    if (entry.base !== undefined) project.base = entry.base;
    if (entry.sandbox !== undefined) project.sandbox = entry.sandbox;
    if (entry.budget !== undefined) project.budget = entry.budget;
    if (entry.backend !== undefined) project.backend = entry.backend;
    if (entry.setup) {
      const { copy, command, timeout } = entry.setup;
      project.setup = { copy, command: command ?? null, timeout, timeout_ms: parseDuration(timeout)! };
    }
    if (entry.check) project.check = { ...entry.check, timeout_ms: parseDuration(entry.check.timeout)! };
    return project;
  });
}

/** What to do when there is no project, for the caller and the log. */
export const NO_PROJECTS_HINT =
  'No projects are configured: add them under "projects" in the fleet config (FLEET_MCP_CONFIG, default ' +
  '~/.config/fleet-mcp/config.json), or start fleet-mcp in a project folder (never /). A running server reads the config within a second.';

/** The folder's name, made a valid project name ("my app" is "my-app"); empty for the root folder. */
export function folderProjectName(dir: string): string {
  return basename(dir)
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
}

export function pathTag(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 6);
}

/**
 * With no projects configured, each folder a client of the fleet was started in is a project named after it (a
 * second folder of the same name gets a tag of its path after the name). The root folder is never one: a desktop app may start its servers there, and
 * agents would then get the whole file system as their project.
 */
export function folderProjects(dirs: readonly string[]): Project[] {
  const projects: Project[] = [];
  for (const dir of dirs) {
    const plain = folderProjectName(dir);
    if (plain === '' || !isDirectory(dir) || projects.some((project) => project.path === dir)) continue;
    // Two folders of one name: the later one's name says which it is, the same for that folder every time.
    const name = projects.some((project) => project.name === plain) ? `${plain.slice(0, 57)}-${pathTag(dir)}` : plain;
    projects.push({ name, path: dir, description: 'The folder a client of the fleet was started in.' });
  }
  return projects;
}
