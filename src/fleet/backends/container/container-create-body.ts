import type { RemoteTaskSpec } from '../remote/agent-runtime.js';
import { labelsFor } from './task-labels.js';

/**
 * The body of POST /containers/create for a task. Guards, and why:
 * - Init: PID 1 of a container ignores SIGTERM unless it handles it; an init passes it on, so stop and timeout end the
 *   task, and when the task's main process ends the container ends with all its children.
 * - Memory with MemorySwap equal: the limit cannot be dodged by swapping.
 * - CapDrop ALL with nothing added, no-new-privileges: an agent CLI, git and node need no capability; a setuid binary
 *   in the user's image gains none.
 * - The root filesystem stays writable: agents write their home, caches and /tmp, the user's image decides where,
 *   and the container's layer is thrown away with the container.
 * - OpenStdin and StdinOnce: secrets travel on stdin, and closing it after them gives the task an EOF.
 */
export function containerCreateBody(spec: RemoteTaskSpec): Record<string, unknown> {
  const memory = spec.limits.memoryBytes ?? undefined;
  return {
    Image: spec.image,
    Entrypoint: spec.command,
    Cmd: null,
    // The task script reads its secrets on stdin (secret-lines.ts).
    Env: [...Object.entries(spec.env).map(([name, value]) => `${name}=${value}`), 'FLEET_SECRETS=stdin'],
    Labels: labelsFor(spec.labels),
    Tty: false,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: {
      Init: true,
      NanoCpus: spec.limits.cpus === null ? undefined : Math.round(spec.limits.cpus * 1e9),
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: spec.limits.pids ?? undefined,
      NetworkMode: spec.network,
      Binds: spec.readOnlyMounts.map((mount) => `${mount.source}:${mount.target}:ro`),
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: false,
      AutoRemove: false,
    },
  };
}
