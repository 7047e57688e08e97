import { createHash } from 'node:crypto';
import { LABELS, RuntimeError, type RemoteTaskSpec, type TaskLabels } from '../remote/agent-runtime.js';
import type { Container, Job, NetworkPolicy, PodSpec, Secret, Volume } from './kube-objects.js';

/** The one container of a task's pod; its log is the task's output. */
export const CONTAINER = 'task';
/** Where the task's Secret is mounted; the task script reads its files from $FLEET_SECRETS_DIR. */
export const SECRETS_DIR = '/var/run/fleet-secrets';
const SECRETS_VOLUME = 'fleet-secrets';
/** Read by the task's user through fsGroup, by nobody else: a Secret volume's files belong to root. */
const SECRET_FILE_MODE = 0o440;

export interface ManifestOptions {
  namespace: string;
  /** uid, gid and fsGroup of the task's processes; never 0, so runAsNonRoot holds for any image. */
  runAsUser: number;
}

/** An owner the API's garbage collector removes a task's Secret and NetworkPolicy with. */
export interface Owner {
  name: string;
  uid: string;
}

/** A DNS-1123 name, stable for the task, short enough that the Job's pod name (name + 6) stays a label value. */
export function jobName(labels: TaskLabels): string {
  const agent =
    labels.agent
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 30) || 'agent';
  const hash = createHash('sha256')
    .update(`${labels.server}\0${labels.agent}\0${labels.task}`)
    .digest('hex')
    .slice(0, 10);
  return `fleet-${agent.replace(/-+$/, '')}-${hash}`;
}

export function taskLabels(labels: TaskLabels): Record<string, string> {
  return { [LABELS.server]: labels.server, [LABELS.agent]: labels.agent, [LABELS.task]: labels.task };
}

/** A label selector that matches the task's objects and no other task's. */
export function taskSelector(labels: TaskLabels): string {
  return `${LABELS.server}=${labels.server},${LABELS.task}=${labels.task}`;
}

/** Refuses, in one line, what Kubernetes would refuse or what this backend cannot honour. */
export function checkSpec(spec: RemoteTaskSpec): void {
  for (const [key, value] of Object.entries(taskLabels(spec.labels))) {
    if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/.test(value)) {
      throw new RuntimeError(
        `kubernetes backend: label ${key}=${JSON.stringify(value)} is not a Kubernetes label value; use 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
      );
    }
  }
  for (const key of Object.keys(spec.secrets)) {
    if (!/^[-._A-Za-z0-9]+$/.test(key) || key === '.' || key === '..') {
      throw new RuntimeError(
        `kubernetes backend: secret name ${JSON.stringify(key)} cannot be a Secret key; use letters, digits, "-", "_" and "."`,
      );
    }
  }
  if (!['none', 'host', 'cluster'].includes(spec.network)) {
    throw new RuntimeError(
      `kubernetes backend: network ${JSON.stringify(spec.network)} is not one a pod can join; use "none" (a deny-all NetworkPolicy), "host" (the node's network) or "cluster" (the pod network)`,
    );
  }
}

export function jobManifest(spec: RemoteTaskSpec, name: string, options: ManifestOptions): Job {
  const labels = taskLabels(spec.labels);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: options.namespace, labels },
    // One try: a retried agent would redo work and push twice; ttlSecondsAfterFinished is left unset because
    // the fleet reads the ended pod's status and removes the Job itself.
    spec: { backoffLimit: 0, template: { metadata: { labels }, spec: podSpec(spec, name, options) } },
  };
}

function podSpec(spec: RemoteTaskSpec, name: string, options: ManifestOptions): PodSpec {
  const hostNetwork = spec.network === 'host';
  const mounts = spec.readOnlyMounts.map((mount, index) => ({
    name: `ro-${index}`,
    source: mount.source,
    target: mount.target,
  }));
  const volumes: Volume[] = [
    { name: SECRETS_VOLUME, secret: { secretName: name, defaultMode: SECRET_FILE_MODE } },
    ...mounts.map((mount): Volume => ({ name: mount.name, hostPath: { path: mount.source, type: '' } })),
  ];
  return {
    restartPolicy: 'Never',
    // The agent is hostile: no API credential of the namespace's service account, no addresses of its services.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // The pause process becomes PID 1, so the task's own first process gets SIGTERM with its default action
    // (a PID 1 ignores it) and zombies are reaped: Kubernetes' stand-in for `docker run --init`.
    shareProcessNamespace: true,
    hostNetwork,
    ...(hostNetwork ? { dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: options.runAsUser,
      runAsGroup: options.runAsUser,
      fsGroup: options.runAsUser,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [container(spec, mounts)],
    volumes,
  };
}

function container(spec: RemoteTaskSpec, mounts: { name: string; target: string }[]): Container {
  const env = Object.entries(spec.env)
    .filter(([key]) => key !== 'FLEET_SECRETS_DIR')
    .map(([key, value]) => ({ name: key, value }));
  return {
    name: CONTAINER,
    image: spec.image,
    command: spec.command,
    env: [...env, { name: 'FLEET_SECRETS_DIR', value: SECRETS_DIR }],
    resources: resources(spec),
    securityContext: { allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } },
    volumeMounts: [
      { name: SECRETS_VOLUME, mountPath: SECRETS_DIR, readOnly: true },
      ...mounts.map((mount) => ({ name: mount.name, mountPath: mount.target, readOnly: true })),
    ],
  };
}

/**
 * Requests equal to limits, so the scheduler places the task only where the limits fit. Kubernetes has no pids
 * limit in a pod's spec (the kubelet's podPidsLimit sets one for every pod of a node), so limits.pids is not used.
 */
function resources(spec: RemoteTaskSpec): Container['resources'] {
  const quantities: { cpu?: string; memory?: string } = {};
  if (spec.limits.cpus !== null) quantities.cpu = `${Math.max(1, Math.round(spec.limits.cpus * 1000))}m`;
  if (spec.limits.memoryBytes !== null) quantities.memory = String(spec.limits.memoryBytes);
  return Object.keys(quantities).length ? { limits: quantities, requests: { ...quantities } } : {};
}

/** The task's secrets as one Secret, owned by its Job so the API removes it with the Job even if the fleet cannot. */
export function secretManifest(spec: RemoteTaskSpec, owner: Owner, namespace: string): Secret {
  const data = Object.fromEntries(
    Object.entries(spec.secrets).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: owner.name, namespace, labels: taskLabels(spec.labels), ownerReferences: [ownedBy(owner)] },
    data,
  };
}

/** For network "none": no traffic in or out of the task's pod, where the cluster's network plugin enforces NetworkPolicy. */
export function denyAllPolicy(spec: RemoteTaskSpec, owner: Owner, namespace: string): NetworkPolicy {
  const labels = taskLabels(spec.labels);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: owner.name, namespace, labels, ownerReferences: [ownedBy(owner)] },
    spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  };
}

function ownedBy(owner: Owner) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: owner.name,
    uid: owner.uid,
    controller: false,
    blockOwnerDeletion: false,
  };
}
