import type { RemoteTaskSpec } from '../remote/agent-runtime.js';
import { labelsFor } from './task-labels.js';

/** Where swarm mounts a service's secrets; the task script reads one file per secret there. */
export const SWARM_SECRETS_DIR = '/run/secrets';

export interface CreatedSecret {
  name: string;
  id: string;
  /** The variable the task script exports it as, and the file's name. */
  variable: string;
}

/**
 * The body of POST /services/create for a task: a replicated job that runs once and is never restarted, with the
 * same guards as a plain container (init, limits, no capabilities) and the secrets as files, not variables.
 * `image` is the engine's image id, so no node tries to pull it from a registry.
 */
export function serviceCreateBody(
  spec: RemoteTaskSpec,
  image: string,
  secrets: CreatedSecret[],
): Record<string, unknown> {
  const labels = labelsFor(spec.labels);
  return {
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Command: spec.command,
        Env: [
          ...Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
          `FLEET_SECRETS_DIR=${SWARM_SECRETS_DIR}`,
        ],
        Labels: labels,
        Init: true,
        Mounts: spec.readOnlyMounts.map((mount) => ({
          Type: 'bind',
          Source: mount.source,
          Target: mount.target,
          ReadOnly: true,
        })),
        Secrets: secrets.map((secret) => ({
          File: { Name: secret.variable, UID: '0', GID: '0', Mode: 0o400 },
          SecretID: secret.id,
          SecretName: secret.name,
        })),
        CapabilityDrop: ['ALL'],
        OpenStdin: false,
        TTY: false,
      },
      Resources: {
        Limits: {
          NanoCPUs: spec.limits.cpus === null ? undefined : Math.round(spec.limits.cpus * 1e9),
          MemoryBytes: spec.limits.memoryBytes ?? undefined,
          Pids: spec.limits.pids ?? undefined,
        },
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Networks: [{ Target: spec.network }],
    },
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
  };
}
