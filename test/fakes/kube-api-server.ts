import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runContainer, type ContainerRun, type PodSpecShape } from './kube-kubelet.js';

/**
 * A stand-in Kubernetes API server on loopback for exactly the calls the kubernetes backend makes: Jobs, Secrets,
 * NetworkPolicies and pods in a namespace (create, list by label or name, get, delete with grace and propagation),
 * a pod's log with follow, bearer-token auth over TLS with its own CA, and the real API's Status objects and codes
 * (401, 404, 409, 400, 422).
 * It plays the Job controller (one pod per Job, backoffLimit respected by never retrying), the garbage collector
 * (dependents by ownerReferences) and the kubelet (kube-kubelet.ts), so logs and exit codes are real processes'.
 */

type Meta = {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  ownerReferences?: { uid: string; kind: string; name: string }[];
  creationTimestamp: string;
  resourceVersion: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
};
type Stored = { apiVersion: string; kind: string; metadata: Meta; [field: string]: unknown };
type ContainerState = {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string };
};
type PodStatus = {
  phase: string;
  containerStatuses: { name: string; image: string; ready: boolean; restartCount: number; state: ContainerState }[];
};

const KINDS = {
  jobs: { apiVersion: 'batch/v1', kind: 'Job', prefix: '/apis/batch/v1' },
  secrets: { apiVersion: 'v1', kind: 'Secret', prefix: '/api/v1' },
  networkpolicies: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', prefix: '/apis/networking.k8s.io/v1' },
  pods: { apiVersion: 'v1', kind: 'Pod', prefix: '/api/v1' },
} as const;
type Resource = keyof typeof KINDS;

export interface FakeKubeOptions {
  /** The bearer token the server accepts; any other gets 401. */
  token: string;
  namespaces: string[];
  /** Images the kubelet cannot pull: their pods stay in ErrImagePull / ImagePullBackOff. */
  missingImages: string[];
}

interface PodRuntime {
  run: ContainerRun | null;
  log: Buffer[];
  followers: Set<ServerResponse>;
  ended: boolean;
}

export class FakeKubeApiServer {
  readonly url: string;
  private readonly store = new Map<Resource, Map<string, Stored>>(
    Object.keys(KINDS).map((resource) => [resource as Resource, new Map()]),
  );
  private readonly pods = new Map<string, PodRuntime>();
  private version = 1;
  /** A resource whose creation RBAC refuses, as for a context whose Role leaves it out. */
  private forbidden: Resource | null = null;
  /** Every request's method and path with query, for tests that check what the backend asked for. */
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly certificate: string,
    private readonly options: FakeKubeOptions,
  ) {
    this.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(options: FakeKubeOptions): Promise<FakeKubeApiServer> {
    const { key, cert } = selfSignedCertificate();
    const server = createServer({ key, cert });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeKubeApiServer(server, cert, options);
    server.on('request', (request, response) => fake.handle(request, response));
    return fake;
  }

  /** A kubeconfig for this server, or as changed by `options`. */
  writeKubeconfig(dir: string, options: { token?: string; server?: string; trustCa?: boolean } = {}): string {
    const { token = this.options.token, server = this.url, trustCa = true } = options;
    return writeKubeconfig(dir, { server, token, ca: trustCa ? this.certificate : null });
  }

  objects(resource: Resource): Stored[] {
    return [...this.store.get(resource)!.values()];
  }

  /** Pids of containers still running. */
  runningPids(): number[] {
    return [...this.pods.values()].flatMap((pod) => (pod.run && !pod.ended ? [pod.run.pid] : []));
  }

  forbidCreating(resource: Resource | null): void {
    this.forbidden = resource;
  }

  /** Kills the pod's container as the OOM killer would; its status then says OOMKilled. */
  oomKill(podName: string): void {
    this.runningContainer(podName).oomKill();
  }

  /** Evicts the pod as a kubelet short of memory does: kills its container and marks the pod Evicted. */
  evict(podName: string): void {
    const pod = this.objects('pods').find((candidate) => candidate.metadata.name === podName)!;
    const status = pod.status as PodStatus & { reason?: string; message?: string };
    status.reason = 'Evicted';
    status.message = 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki.';
    this.runningContainer(podName).terminate(0);
  }

  private runningContainer(podName: string): ContainerRun {
    const runtime = [...this.pods.entries()].find(([key]) => key.endsWith(`/${podName}`))?.[1];
    if (!runtime?.run) throw new Error(`pod ${podName} has no running container`);
    return runtime.run;
  }

  async close(): Promise<void> {
    const endings = [...this.pods.values()].flatMap((pod) => (pod.run && !pod.ended ? [pod.run.ended] : []));
    for (const pod of this.pods.values()) pod.run?.terminate(0);
    await Promise.all(endings);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    if (request.headers.authorization !== `Bearer ${this.options.token}`) {
      return status(response, 401, 'Unauthorized', 'Unauthorized');
    }
    const body = await readBody(request);
    const route =
      /^(\/apis?(?:\/[^/]+)?\/v1)\/namespaces\/([^/]+)\/(jobs|secrets|networkpolicies|pods)(?:\/([^/]+))?(\/log)?$/.exec(
        url.pathname,
      );
    const resource = route?.[3] as Resource | undefined;
    if (!route || !resource || KINDS[resource].prefix !== route[1]) {
      return status(response, 404, 'NotFound', 'the server could not find the requested resource');
    }
    const namespace = decodeURIComponent(route[2]!);
    const name = route[4] ? decodeURIComponent(route[4]) : null;
    try {
      if (route[5] && resource === 'pods' && name && request.method === 'GET')
        return this.podLog(response, namespace, name, url.searchParams);
      if (!name && request.method === 'GET') return this.list(response, resource, namespace, url.searchParams);
      if (!name && request.method === 'POST' && resource !== 'pods')
        return this.create(response, resource, namespace, body);
      if (name && request.method === 'GET') return json(response, 200, this.get(resource, namespace, name));
      if (name && request.method === 'DELETE')
        return this.remove(response, resource, namespace, name, url.searchParams);
      return status(
        response,
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    } catch (error) {
      if (error instanceof ApiStatus) return status(response, error.code, error.reason, error.message);
      throw error;
    }
  }

  private list(response: ServerResponse, resource: Resource, namespace: string, query: URLSearchParams): void {
    const matches = selector(query.get('labelSelector') ?? '');
    const field = query.get('fieldSelector');
    const named = field ? /^metadata\.name=(.+)$/.exec(field)?.[1] : undefined;
    if (field && !named)
      throw new ApiStatus(400, 'BadRequest', `the stand-in knows only the field selector metadata.name, not ${field}`);
    let items = this.objects(resource).filter(
      (object) =>
        object.metadata.namespace === namespace &&
        matches(object.metadata.labels ?? {}) &&
        (!named || object.metadata.name === named),
    );
    const limit = Number(query.get('limit') ?? 0);
    if (limit > 0) items = items.slice(0, limit);
    json(response, 200, {
      apiVersion: KINDS[resource].apiVersion,
      kind: `${KINDS[resource].kind}List`,
      metadata: { resourceVersion: String(this.version) },
      items,
    });
  }

  private get(resource: Resource, namespace: string, name: string): Stored {
    const object = this.store.get(resource)!.get(`${namespace}/${name}`);
    if (!object)
      throw new ApiStatus(404, 'NotFound', `${resource.replace(/s$/, '')}${groupSuffix(resource)} "${name}" not found`);
    return object;
  }

  private create(response: ServerResponse, resource: Resource, namespace: string, body: string): void {
    if (this.forbidden === resource) {
      const group = KINDS[resource].prefix.replace(/^\/apis?\/?/, '').replace(/\/?v1$/, '');
      throw new ApiStatus(
        403,
        'Forbidden',
        `${resource} is forbidden: User "fake" cannot create resource "${resource}" in API group "${group}" in the namespace "${namespace}"`,
      );
    }
    if (!this.options.namespaces.includes(namespace))
      throw new ApiStatus(404, 'NotFound', `namespaces "${namespace}" not found`);
    const object = JSON.parse(body) as Stored;
    const name = object.metadata?.name;
    if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
      throw new ApiStatus(422, 'Invalid', `${KINDS[resource].kind} "${name}" is invalid: metadata.name: Invalid value`);
    if (this.store.get(resource)!.has(`${namespace}/${name}`)) {
      throw new ApiStatus(
        409,
        'AlreadyExists',
        `${resource.replace(/s$/, '')}${groupSuffix(resource)} "${name}" already exists`,
      );
    }
    if (resource === 'secrets') checkSecret(object);
    if (resource === 'jobs') checkJob(object);
    const stored: Stored = {
      ...object,
      apiVersion: KINDS[resource].apiVersion,
      kind: KINDS[resource].kind,
      metadata: {
        ...object.metadata,
        name,
        namespace,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        resourceVersion: String(++this.version),
      },
    };
    if (resource === 'jobs') stored.status = {};
    this.store.get(resource)!.set(`${namespace}/${name}`, stored);
    json(response, 201, stored);
    if (resource === 'jobs') this.makePod(stored);
    if (resource === 'secrets') for (const pod of this.objects('pods')) this.tryStart(pod);
  }

  private remove(
    response: ServerResponse,
    resource: Resource,
    namespace: string,
    name: string,
    query: URLSearchParams,
  ): void {
    const object = this.get(resource, namespace, name);
    if (resource === 'pods') {
      const grace = Number(query.get('gracePeriodSeconds') ?? 30);
      this.deletePod(object, grace);
      json(response, 200, object);
      return;
    }
    this.store.get(resource)!.delete(`${namespace}/${name}`);
    // batch/v1 Jobs orphan their pods unless told otherwise, as the real API does.
    const policy = query.get('propagationPolicy') ?? (resource === 'jobs' ? 'Orphan' : 'Background');
    if (policy !== 'Orphan') this.collectDependents(object.metadata.uid);
    json(response, 200, {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Success',
      details: { name, kind: resource, uid: object.metadata.uid },
    });
  }

  /** The garbage collector: whatever names the deleted object as owner goes too. */
  private collectDependents(uid: string): void {
    for (const resource of Object.keys(KINDS) as Resource[]) {
      for (const object of this.objects(resource)) {
        if (!object.metadata.ownerReferences?.some((owner) => owner.uid === uid)) continue;
        if (resource === 'pods') this.deletePod(object, 30);
        else this.store.get(resource)!.delete(`${object.metadata.namespace}/${object.metadata.name}`);
      }
    }
  }

  private deletePod(pod: Stored, graceSeconds: number): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const runtime = this.pods.get(key);
    const running = runtime?.run && !runtime.ended;
    if (!running || graceSeconds <= 0) {
      // Nothing to wait for, or a forced deletion: the object goes now, the kubelet kills afterwards.
      this.store.get('pods')!.delete(key);
      runtime?.run?.terminate(0);
      return;
    }
    if (pod.metadata.deletionTimestamp) return;
    pod.metadata.deletionTimestamp = new Date(Date.now() + graceSeconds * 1000).toISOString();
    pod.metadata.deletionGracePeriodSeconds = graceSeconds;
    runtime.run!.terminate(graceSeconds);
    void runtime.run!.ended.then(() => this.store.get('pods')!.delete(key));
  }

  /** The Job controller: one pod from the template, never a second (backoffLimit 0 is all the backend uses). */
  private makePod(job: Stored): void {
    const spec = job.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpecShape } };
    const name = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const labels = {
      ...spec.template.metadata?.labels,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'batch.kubernetes.io/controller-uid': job.metadata.uid,
    };
    const container = spec.template.spec.containers[0]!;
    const pod: Stored = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: job.metadata.namespace,
        uid: randomUUID(),
        labels,
        ownerReferences: [{ uid: job.metadata.uid, kind: 'Job', name: job.metadata.name }],
        creationTimestamp: new Date().toISOString(),
        resourceVersion: String(++this.version),
      },
      spec: spec.template.spec,
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: container.name,
            image: container.image,
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      } satisfies PodStatus,
    };
    this.store.get('pods')!.set(`${pod.metadata.namespace}/${name}`, pod);
    this.pods.set(`${pod.metadata.namespace}/${name}`, { run: null, log: [], followers: new Set(), ended: false });
    job.status = { active: 1, startTime: new Date().toISOString() };
    setImmediate(() => this.tryStart(pod));
  }

  /** The kubelet: pulls (or fails to), waits for the Secret volumes as the real one retries its mount, then runs. */
  private tryStart(pod: Stored): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const runtime = this.pods.get(key);
    if (!runtime || runtime.run || runtime.ended || !this.store.get('pods')!.has(key)) return;
    const spec = pod.spec as PodSpecShape;
    const status = pod.status as PodStatus;
    const container = spec.containers[0]!;
    if (this.options.missingImages.includes(container.image)) {
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${container.image}": not found`;
      status.containerStatuses[0]!.state = { waiting: { reason: 'ErrImagePull', message } };
      setImmediate(
        () =>
          (status.containerStatuses[0]!.state = {
            waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` },
          }),
      );
      return;
    }
    const secrets = new Map<string, Record<string, Buffer>>();
    for (const volume of spec.volumes ?? []) {
      if (!volume.secret) continue;
      const secret = this.store.get('secrets')!.get(`${pod.metadata.namespace}/${volume.secret.secretName}`);
      if (!secret) return; // MountVolume.SetUp failed: retried when a Secret is created.
      const data = (secret.data ?? {}) as Record<string, string>;
      secrets.set(
        volume.secret.secretName,
        Object.fromEntries(Object.entries(data).map(([file, value]) => [file, Buffer.from(value, 'base64')])),
      );
    }
    const run = runContainer({
      podName: pod.metadata.name,
      namespace: pod.metadata.namespace,
      spec,
      secrets,
      isolated: this.deniedAll(pod),
      serviceAccountToken: `fake-service-account-token-${pod.metadata.uid}`,
      onOutput: (data) => {
        runtime.log.push(data);
        for (const follower of runtime.followers) follower.write(data);
      },
    });
    if (!('pid' in run)) {
      status.containerStatuses[0]!.state = { waiting: { reason: run.reason, message: run.message } };
      return;
    }
    runtime.run = run;
    const startedAt = new Date().toISOString();
    status.phase = 'Running';
    status.containerStatuses[0]!.state = { running: { startedAt } };
    status.containerStatuses[0]!.ready = true;
    void run.ended.then(({ exitCode, oomKilled }) => {
      runtime.ended = true;
      const reason = oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
      status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
      status.containerStatuses[0]!.ready = false;
      status.containerStatuses[0]!.state = {
        terminated: { exitCode, reason, startedAt, finishedAt: new Date().toISOString() },
      };
      this.finishJob(pod, exitCode === 0);
      for (const follower of runtime.followers) follower.end();
      runtime.followers.clear();
    });
  }

  private finishJob(pod: Stored, succeeded: boolean): void {
    const owner = pod.metadata.ownerReferences?.[0];
    const job = owner && this.objects('jobs').find((candidate) => candidate.metadata.uid === owner.uid);
    if (!job) return;
    const now = new Date().toISOString();
    job.status = succeeded
      ? {
          succeeded: 1,
          completionTime: now,
          conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: now }],
        }
      : {
          failed: 1,
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
              lastTransitionTime: now,
            },
          ],
        };
  }

  /** A NetworkPolicy of the pod's namespace that selects it and allows nothing in either direction. */
  private deniedAll(pod: Stored): boolean {
    return this.objects('networkpolicies').some((policy) => {
      const spec = policy.spec as {
        podSelector?: { matchLabels?: Record<string, string> };
        policyTypes?: string[];
        ingress?: unknown[];
        egress?: unknown[];
      };
      const selects = Object.entries(spec.podSelector?.matchLabels ?? {}).every(
        ([key, value]) => pod.metadata.labels?.[key] === value,
      );
      const both = ['Ingress', 'Egress'].every((type) => spec.policyTypes?.includes(type));
      return (
        policy.metadata.namespace === pod.metadata.namespace &&
        selects &&
        both &&
        !spec.ingress?.length &&
        !spec.egress?.length
      );
    });
  }

  private podLog(response: ServerResponse, namespace: string, name: string, query: URLSearchParams): void {
    const pod = this.get('pods', namespace, name);
    const runtime = this.pods.get(`${namespace}/${name}`)!;
    const container = query.get('container') ?? (pod.spec as PodSpecShape).containers[0]!.name;
    const state = (pod.status as PodStatus).containerStatuses.find((candidate) => candidate.name === container);
    if (!state) throw new ApiStatus(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    if (state.state.waiting)
      throw new ApiStatus(
        400,
        'BadRequest',
        `container "${container}" in pod "${name}" is waiting to start: ${state.state.waiting.reason}`,
      );
    response.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    for (const chunk of runtime.log) response.write(chunk);
    if (query.get('follow') !== 'true' || runtime.ended) return void response.end();
    runtime.followers.add(response);
    response.on('close', () => runtime.followers.delete(response));
  }
}

/** A kubeconfig (JSON, which is YAML) with one context, `fake`. */
export function writeKubeconfig(dir: string, options: { server: string; token: string; ca: string | null }): string {
  const file = join(dir, `kubeconfig-${randomBytes(4).toString('hex')}`);
  const ca = options.ca ? { 'certificate-authority-data': Buffer.from(options.ca).toString('base64') } : {};
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: options.server, ...ca } }],
    users: [{ name: 'fake', user: { token: options.token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
    'current-context': 'fake',
  };
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** A certificate for 127.0.0.1 that the kubeconfig names as its cluster's CA, as kind's and k3s's do. */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kube-ca-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class ApiStatus extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function groupSuffix(resource: Resource): string {
  return resource === 'jobs' ? '.batch' : resource === 'networkpolicies' ? '.networking.k8s.io' : '';
}

function checkSecret(secret: Stored): void {
  for (const key of Object.keys((secret.data ?? {}) as object)) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key))
      throw new ApiStatus(
        422,
        'Invalid',
        `Secret "${secret.metadata.name}" is invalid: data[${key}]: Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
      );
  }
}

function checkJob(job: Stored): void {
  const spec = job.spec as
    | { template?: { spec?: { restartPolicy?: string; containers?: { image?: string }[] } } }
    | undefined;
  const pod = spec?.template?.spec;
  if (!pod?.containers?.length || !pod.containers.every((container) => container.image)) {
    throw new ApiStatus(
      422,
      'Invalid',
      `Job.batch "${job.metadata.name}" is invalid: spec.template.spec.containers[0].image: Required value`,
    );
  }
  if (pod.restartPolicy !== 'Never' && pod.restartPolicy !== 'OnFailure') {
    throw new ApiStatus(
      422,
      'Invalid',
      `Job.batch "${job.metadata.name}" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`,
    );
  }
}

/** Equality-based label selectors (`k`, `k=v`, `k==v`, `k!=v`, comma-joined), as the backend writes them. */
function selector(text: string): (labels: Record<string, string>) => boolean {
  const terms = text
    .split(',')
    .filter(Boolean)
    .map((term) => {
      const match = /^([^=!]+)(?:(!=|==|=)(.*))?$/.exec(term);
      if (!match) throw new ApiStatus(400, 'BadRequest', `unable to parse requirement: ${term}`);
      return { key: match[1]!, op: match[2], value: match[3] };
    });
  return (labels) =>
    terms.every(({ key, op, value }) =>
      op === undefined ? key in labels : op === '!=' ? labels[key] !== value : labels[key] === value,
    );
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  json(response, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}
