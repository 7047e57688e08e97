import * as z from 'zod';

export const ENGINES = ['docker', 'podman', 'swarm', 'kubernetes'] as const;
export type EngineKind = (typeof ENGINES)[number];

const BACKEND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SIZE = /^(\d+)([kmg])?$/i;
const SIZE_UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512m", "4g", "1073741824" as bytes; null for anything else. */
export function parseSize(text: string): number | null {
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  const bytes = Number(match[1]) * (match[2] ? SIZE_UNITS[match[2].toLowerCase()]! : 1);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

export const limitsConfigSchema = z.strictObject({
  cpus: z
    .number({ error: 'limits.cpus must be a number of CPUs, e.g. 1.5' })
    .positive({ error: 'limits.cpus must be more than 0' })
    .optional(),
  memory: z
    .string({ error: 'limits.memory must be a size such as "2g" or "512m"' })
    .refine((text) => parseSize(text) !== null, { error: 'limits.memory must be a size such as "2g" or "512m"' })
    .optional(),
  pids: z
    .number({ error: 'limits.pids must be a whole number of processes, e.g. 512' })
    .int()
    .min(16, { error: 'limits.pids must be at least 16' })
    .optional(),
});
export type LimitsConfig = z.infer<typeof limitsConfigSchema>;

/** The server's own variables (its auth token among them) and the ones the task script reads its secrets by. */
const RESERVED_SECRET = /^(FLEET_MCP_.*|FLEET_GIT_PASSWORD|FLEET_SECRETS|FLEET_SECRETS_DIR)$/;

export const secretNamesSchema = z.array(
  z
    .string()
    .regex(ENV_NAME, {
      error: 'secrets must be names of the server\'s environment variables, e.g. "ANTHROPIC_API_KEY"',
    })
    .refine((name) => !RESERVED_SECRET.test(name), {
      error: (issue) =>
        `secrets may not name ${String(issue.input)}, a variable of fleet-mcp itself that no agent may hold: remove it from "secrets"`,
    }),
);

const mountSchema = z.strictObject({
  source: z.string().startsWith('/', { error: "mounts[].source must be an absolute path on the engine's host" }),
  target: z.string().startsWith('/', { error: 'mounts[].target must be an absolute path in the container' }),
});

const backendSchema = z.strictObject({
  engine: z.enum(ENGINES, { error: `engine must be one of ${ENGINES.join(', ')}` }),
  /** docker, podman, swarm: as DOCKER_HOST has it (unix://, tcp://, ssh://); default DOCKER_HOST, else the local socket. */
  host: z
    .string()
    .regex(/^(unix|tcp|ssh):\/\//, {
      error: 'host must be unix:///path, tcp://host:port or ssh://user@host, as DOCKER_HOST has it',
    })
    .optional(),
  /** kubernetes: the kubeconfig file (default: KUBECONFIG, else ~/.kube/config), its context and the namespace. */
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'namespace must be a Kubernetes namespace name' })
    .optional(),
  /** kubernetes: the uid (and gid) the task's processes run as, never root; default 1000. */
  run_as_user: z
    .number({ error: 'run_as_user must be a uid above 0' })
    .int()
    .min(1, { error: 'run_as_user must be a uid above 0' })
    .optional(),
  image: z.string({ error: 'image is required: the image that holds the agent CLI, git and sh' }).min(1),
  /** 'host' shows the host's loopback to agents; a named network needs git_url. */
  network: z.string().min(1).default('host'),
  /** Where the agents reach this server's git endpoint; default http://127.0.0.1:<port> on the host network. */
  git_url: z
    .url({
      protocol: /^https?$/,
      error: 'git_url must be an http:// or https:// URL of this server as the agents reach it',
    })
    .optional(),
  mounts: z.array(mountSchema).default([]),
  limits: limitsConfigSchema.default({}),
  secrets: secretNamesSchema.default([]),
});
export type BackendConfig = z.infer<typeof backendSchema>;

export const backendsConfigSchema = z.record(
  z.string().regex(BACKEND_NAME, {
    error: 'backend names are 1-32 letters, digits, "-", "_" or ".", starting with a letter or digit',
  }),
  backendSchema,
);
export type BackendsConfig = z.infer<typeof backendsConfigSchema>;

/** The name given as `backend` of a role or project: "local" or a key of `backends`. */
export const LOCAL_BACKEND = 'local';
export const backendChoiceSchema = z
  .string()
  .regex(BACKEND_NAME, { error: 'backend must be "local" or the name of an entry of "backends"' });
