import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { Config } from '../config.js';
import { ConfigError } from '../config-error.js';
import { assertTrustedFile } from '../fs/ownership.js';
import { notifyConfigSchema, type NotifyConfig } from '../notify/notify-config.js';
import { backendsConfigSchema, LOCAL_BACKEND, type BackendsConfig } from './backends/backends-config.js';
import { rolesConfigSchema, type RolesConfig } from './roles.js';
import { folderProjects, PROJECT_NAME, projectEntrySchema, resolveProjects, type Project } from './projects.js';

export interface FleetConfig {
  projects: Project[];
  /** The `roles` key as written; resolveRoles turns it into the roles on offer. */
  roles: RolesConfig;
  /** What to call when a task ends; read at start (see notify-config.ts). */
  notify?: NotifyConfig;
  /** Engines agents may run on besides this host (see backends-config.ts). */
  backends: BackendsConfig;
}

export interface LoadFleetConfigOptions {
  file: string;
  /** When the user named the file, a missing file is an error instead of the one-project default. */
  required: boolean;
  /**
   * The folders the fleet's clients were started in (the server's own first): without projects in the config, each
   * is a project. More than one when stdio clients started in other folders share the fleet.
   */
  dirs: readonly string[];
}

const fleetConfigSchema = z.strictObject({
  projects: z
    .record(
      z.string().regex(PROJECT_NAME, { error: 'project names are 1-64 letters, digits, ".", "_" or "-"' }),
      projectEntrySchema,
    )
    .optional(),
  roles: rolesConfigSchema.optional(),
  notify: notifyConfigSchema.optional(),
  backends: backendsConfigSchema.optional(),
});

function readJson(options: LoadFleetConfigOptions): unknown {
  let text: string;
  try {
    // The config chooses every role's command line: a file another user could change would run their commands.
    assertTrustedFile(options.file, { what: 'fleet config' });
    text = readFileSync(options.file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !options.required) return undefined;
    throw new ConfigError(`cannot read fleet config ${options.file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`fleet config ${options.file} is not valid JSON: ${(error as Error).message}`);
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/** Reads and validates the fleet config once at start-up, so a bad file stops the server with a clear line. */
export function loadFleetConfig(options: LoadFleetConfigOptions): FleetConfig {
  const json = readJson(options);
  if (json === undefined) return { projects: folderProjects(options.dirs), roles: {}, backends: {} };
  const parsed = fleetConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`fleet config ${options.file} is invalid: ${describeIssue(parsed.error.issues[0]!)}`);
  }
  const entries = parsed.data.projects ?? {};
  const backends = parsed.data.backends ?? {};
  try {
    assertBackendsKnown(parsed.data.roles ?? {}, entries, backends);
    const projects = resolveProjects(entries, options.file);
    return {
      projects: projects.length > 0 ? projects : folderProjects(options.dirs),
      roles: parsed.data.roles ?? {},
      notify: parsed.data.notify,
      backends,
    };
  } catch (error) {
    throw new ConfigError(`fleet config ${options.file}: ${(error as Error).message}`);
  }
}

/** Every `backend` a role or project names is "local" or an entry of `backends`. */
function assertBackendsKnown(
  roles: RolesConfig,
  projects: Record<string, { backend?: string }>,
  backends: BackendsConfig,
): void {
  const named = [
    ...Object.entries(roles).map(([name, role]) => [`role "${name}"`, role.backend] as const),
    ...Object.entries(projects).map(([name, project]) => [`project "${name}"`, project.backend] as const),
  ];
  for (const [who, backend] of named) {
    if (backend === undefined || backend === LOCAL_BACKEND || backend in backends) continue;
    const known = [LOCAL_BACKEND, ...Object.keys(backends)].map((name) => `"${name}"`).join(', ');
    throw new Error(
      `${who} runs on backend "${backend}", which is not in "backends" (known: ${known}): add it there, or name one of those`,
    );
  }
}

/** The fleet config as read for this server: its file, and the folders its clients were started in (its own first). */
export function readFleetConfig(config: Config, dirs: readonly string[] = [config.cwd]): FleetConfig {
  return loadFleetConfig({ file: config.fleetConfigFile, required: config.fleetConfigRequired, dirs });
}
