import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The stand-in API server's kubelet: runs a pod's one container as a local process, with what the container
 * runtime would set up done for real where this host can: the Secret volume (and the service account token unless
 * automountServiceAccountToken is false) bind-mounted read-only at their paths in a private mount namespace with
 * its own /run and /tmp, hostPath volumes bind-mounted (read-only as the mount says), runAsUser/runAsGroup/fsGroup,
 * no_new_privs for allowPrivilegeEscalation false, an empty bounding set for drop ALL, and no network at all when a
 * deny-all NetworkPolicy selects the pod. CPU and memory limits, seccomp and the image are only fields: the process runs
 * from this host's root.
 */

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
    runAsUser?: number;
    runAsGroup?: number;
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpecShape {
  hostNetwork?: boolean;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  containers: ContainerSpec[];
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number }; hostPath?: { path: string } }[];
}

export interface RunRequest {
  podName: string;
  namespace: string;
  spec: PodSpecShape;
  /** The decoded data of each Secret the pod's volumes name. */
  secrets: Map<string, Record<string, Buffer>>;
  /** A deny-all NetworkPolicy selects the pod: it gets a network namespace with only a downed loopback. */
  isolated: boolean;
  serviceAccountToken: string;
  onOutput(data: Buffer): void;
}

export interface ContainerRun {
  pid: number;
  /** Resolves once the process has ended and its output is drained. */
  ended: Promise<{ exitCode: number; oomKilled: boolean }>;
  /** SIGTERM to the container's main process, SIGKILL to all of its processes after `graceSeconds`. */
  terminate(graceSeconds: number): void;
  /** What the kernel's OOM killer would do to the container: SIGKILL, reported as OOMKilled. */
  oomKill(): void;
}

export type StartFailure = { reason: string; message: string };

const SERVICE_ACCOUNT_DIR = '/run/secrets/kubernetes.io/serviceaccount';

export function runContainer(request: RunRequest): ContainerRun | StartFailure {
  const container = request.spec.containers[0]!;
  const podContext = request.spec.securityContext ?? {};
  const uid = container.securityContext?.runAsUser ?? podContext.runAsUser ?? 0;
  const gid = container.securityContext?.runAsGroup ?? podContext.runAsGroup ?? 0;
  if (podContext.runAsNonRoot && uid === 0) {
    return { reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image will run as root' };
  }
  const root = mkdtempSync(join(tmpdir(), `kube-pod-${request.podName}-`));
  chmodSync(root, 0o755);
  const mounts: { source: string; target: string; readOnly: boolean }[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = request.spec.volumes?.find((candidate) => candidate.name === mount.name);
    if (volume?.secret) {
      const data = request.secrets.get(volume.secret.secretName) ?? {};
      // The kubelet mounts Secret volumes read-only whatever the mount says.
      mounts.push({
        source: writeFiles(join(root, mount.name), data, volume.secret.defaultMode ?? 0o644, podContext.fsGroup),
        target: mount.mountPath,
        readOnly: true,
      });
    } else if (volume?.hostPath) {
      mounts.push({ source: volume.hostPath.path, target: mount.mountPath, readOnly: mount.readOnly === true });
    } else {
      return {
        reason: 'CreateContainerConfigError',
        message: `volume "${mount.name}" is not one the stand-in kubelet mounts`,
      };
    }
  }
  if (request.spec.automountServiceAccountToken !== false) {
    const token = { token: Buffer.from(request.serviceAccountToken), namespace: Buffer.from(request.namespace) };
    mounts.push({
      source: writeFiles(join(root, 'serviceaccount'), token, 0o644, undefined),
      target: SERVICE_ACCOUNT_DIR,
      readOnly: true,
    });
  }
  const outside = mounts.find((mount) => !runPath(mount.target));
  if (outside)
    return {
      reason: 'CreateContainerError',
      message: `the stand-in kubelet mounts only under /run, not at ${outside.target}`,
    };

  const drop = container.securityContext?.capabilities?.drop?.includes('ALL');
  const privileges = [
    `--reuid=${uid}`,
    `--regid=${gid}`,
    podContext.fsGroup === undefined ? '--clear-groups' : `--groups=${podContext.fsGroup}`,
    ...(container.securityContext?.allowPrivilegeEscalation === false ? ['--no-new-privs'] : []),
    ...(drop ? ['--bounding-set=-all', '--inh-caps=-all'] : []),
  ];
  // Mount points are made inside the private /run, never on this host; the last exec keeps the spawned pid.
  const setup = [
    'mount -t tmpfs -o mode=755 tmpfs /run',
    ...mounts.map(
      (mount, index) =>
        `mkdir -p "$T${index}" && mount --bind "$S${index}" "$T${index}"${mount.readOnly ? ` && mount -o remount,bind,ro "$T${index}"` : ''}`,
    ),
    // A container's /tmp is its own: what the task leaves there goes with it. Mounted last, over the volumes' sources.
    'mount -t tmpfs -o mode=1777 tmpfs /tmp',
    `exec setpriv ${privileges.join(' ')} -- "$@"`,
  ].join(' && ');
  const mountEnv = Object.fromEntries(
    mounts.flatMap((mount, index) => [
      [`S${index}`, mount.source],
      [`T${index}`, runPath(mount.target)!],
    ]),
  );
  const unshare = ['--mount', ...(request.isolated && !request.spec.hostNetwork ? ['--net'] : [])];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOSTNAME: request.podName,
    HOME: '/',
  };
  for (const variable of container.env ?? []) env[variable.name] = variable.value ?? '';

  const command = container.command ?? [];
  const child = spawn('unshare', [...unshare, '--', 'sh', '-c', setup, 'kubelet', ...command], {
    cwd: '/',
    env: { ...env, ...mountEnv },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', request.onOutput);
  child.stderr.on('data', request.onOutput);
  let oomKilled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const killAll = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Every process of the container has ended.
    }
  };
  // The runtime tears the container down with its main process: stragglers would hold the log open.
  child.on('exit', killAll);
  const ended = new Promise<{ exitCode: number; oomKilled: boolean }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      rmSync(root, { recursive: true, force: true });
      resolve({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0), oomKilled });
    });
  });
  return {
    pid: child.pid!,
    ended,
    terminate(graceSeconds) {
      if (graceSeconds <= 0) return killAll();
      child.kill('SIGTERM');
      killTimer = setTimeout(killAll, graceSeconds * 1000);
    },
    oomKill() {
      oomKilled = true;
      killAll();
    },
  };
}

/** The path inside the private /run (/var/run is its link), or null for a path the stand-in cannot mount at. */
function runPath(target: string): string | null {
  const path = target.replace(/^\/var\/run\//, '/run/');
  return path.startsWith('/run/') ? path : null;
}

function writeFiles(dir: string, data: Record<string, Buffer>, mode: number, group: number | undefined): string {
  mkdirSync(dir, { mode: 0o755 });
  for (const [key, value] of Object.entries(data)) {
    const file = join(dir, key);
    writeFileSync(file, value, { mode });
    chmodSync(file, mode);
    if (group !== undefined) chownSync(file, 0, group);
  }
  return dir;
}
