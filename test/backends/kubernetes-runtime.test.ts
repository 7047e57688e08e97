import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LABELS,
  RuntimeError,
  type RemoteTaskSpec,
  type TaskHandle,
} from '../../src/fleet/backends/remote/agent-runtime.js';
import { KubernetesRuntime } from '../../src/fleet/backends/kubernetes/kubernetes-runtime.js';
import { writeKubeconfig } from '../fakes/kube-api-server.js';
import { ABSENT_IMAGE, REAL_KUBECONFIG, startTestCluster, type TestCluster } from '../helpers/kube-cluster.js';

// Against the stand-in API server unless FLEET_MCP_TEST_KUBECONFIG names a real cluster's kubeconfig; the cases
// that steer the cluster (an OOM kill, a missing image, a refused token, certificate or Role) need the stand-in.
const fakeOnly = it.skipIf(Boolean(REAL_KUBECONFIG));

let cluster: TestCluster;
const server = `srv-${randomBytes(4).toString('hex')}`;
let taskCount = 0;

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  // Whatever a failed test left behind goes, so a real cluster stays clean.
  const runtime = newRuntime();
  for (const task of await runtime.find(server).catch(() => [])) await task.remove().catch(() => undefined);
  await cluster?.close();
});

function newRuntime(kubeconfig = cluster.kubeconfig): KubernetesRuntime {
  return new KubernetesRuntime({
    kubeconfig,
    context: null,
    namespace: cluster.namespace,
    runAsUser: 1000,
    pollMs: 100,
  });
}

function taskSpec(script: string, overrides: Partial<RemoteTaskSpec> = {}): RemoteTaskSpec {
  return {
    labels: { server, agent: 'kube-agent', task: `t${++taskCount}` },
    image: cluster.image,
    command: ['sh', '-c', script],
    env: {},
    secrets: {},
    limits: { cpus: null, memoryBytes: null, pids: null },
    network: 'cluster',
    readOnlyMounts: [],
    ...overrides,
  };
}

function selectorOf(spec: RemoteTaskSpec): string {
  return `${LABELS.server}=${server},${LABELS.task}=${spec.labels.task}`;
}

/** The task's output so far, and a promise for the moment it holds `text`. */
function follow(task: TaskHandle) {
  let text = '';
  const streams = new Set<string>();
  const waiters: { needle: string; resolve: () => void }[] = [];
  const { done, close } = task.output((stream, data) => {
    streams.add(stream);
    text += data.toString();
    for (const waiter of waiters.filter((candidate) => text.includes(candidate.needle))) waiter.resolve();
  });
  return {
    done,
    close,
    text: () => text,
    streams,
    holds: (needle: string) =>
      new Promise<void>((resolve) => (text.includes(needle) ? resolve() : waiters.push({ needle, resolve }))),
  };
}

async function expectNothingLeft(spec: RemoteTaskSpec): Promise<void> {
  for (const resource of ['jobs', 'pods', 'secrets', 'networkpolicies'] as const) {
    expect(await cluster.list(resource, selectorOf(spec)), resource).toEqual([]);
  }
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('kubernetes runtime', () => {
  it('runs a Job with the labels, limits and guards, hands the secret over only as a file, and reports output and exit', async () => {
    const secret = `sk-${randomBytes(12).toString('hex')}`;
    // Open to the task's user (uid 1000) even for writing, so only the read-only mount keeps its writes out.
    const tools = mkdtempSync(join(cluster.dir, 'tools-'));
    chmodSync(cluster.dir, 0o755);
    chmodSync(tools, 0o777);
    writeFileSync(join(tools, 'tool'), 'toolchain-here\n');
    const mounts = cluster.fake ? [{ source: tools, target: '/run/fleet-tools' }] : [];
    // The task is what a hostile agent would try: read the namespace's API token, gain privileges, keep the key.
    const spec = taskSpec(
      [
        'id -u',
        'grep -E "^(NoNewPrivs|CapBnd)" /proc/self/status',
        'sha256sum "$FLEET_SECRETS_DIR/API_KEY" | cut -c1-64',
        'cat /var/run/secrets/kubernetes.io/serviceaccount/token 2>/dev/null || echo no-api-token',
        "env | grep -c '=sk-' || true",
        mounts.length
          ? 'cat /run/fleet-tools/tool; touch /run/fleet-tools/x 2>/dev/null || echo mount-read-only'
          : 'true',
        'echo to-stderr >&2',
        'exit 3',
      ].join('; '),
      {
        env: { FLEET_ROLE: 'coder' },
        secrets: { API_KEY: secret },
        limits: { cpus: 1.5, memoryBytes: 256 * 1024 * 1024, pids: 128 },
        readOnlyMounts: mounts,
      },
    );
    const runtime = newRuntime();
    expect(await runtime.problem()).toBeNull();
    const task = await runtime.start(spec);
    const output = follow(task);
    const ended = await task.exit();
    await output.done;

    expect(ended).toEqual({ exitCode: 3, oomKilled: false, error: null });
    const lines = output.text();
    expect(lines).toContain('1000\n');
    expect(lines).toMatch(/NoNewPrivs:\s+1/);
    expect(lines).toMatch(/CapBnd:\s+0{16}/);
    expect(lines).toContain(createHash('sha256').update(secret).digest('hex'));
    expect(lines).toContain('no-api-token');
    expect(lines).toContain('\n0\n');
    if (mounts.length) expect(lines).toContain('toolchain-here\nmount-read-only');
    // Kubernetes keeps one log per container: stderr arrives interleaved, as stdout.
    expect(lines).toContain('to-stderr');
    expect([...output.streams]).toEqual(['stdout']);

    const [job] = await cluster.list('jobs', selectorOf(spec));
    const [pod] = await cluster.list('pods', selectorOf(spec));
    const [stored] = await cluster.list('secrets', selectorOf(spec));
    expect(job!.metadata.name).toBe(task.id);
    expect(job!.metadata.labels).toMatchObject({
      [LABELS.server]: server,
      [LABELS.agent]: 'kube-agent',
      [LABELS.task]: spec.labels.task,
    });
    expect(job!.spec.backoffLimit).toBe(0);
    expect(job!.spec.ttlSecondsAfterFinished).toBeUndefined();
    const podSpec = pod!.spec;
    expect(pod!.metadata.labels).toMatchObject({ [LABELS.server]: server, [LABELS.task]: spec.labels.task });
    expect(podSpec).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      shareProcessNamespace: true,
    });
    expect(podSpec.hostNetwork ?? false).toBe(false);
    expect(podSpec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const container = podSpec.containers[0];
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources).toEqual({
      limits: { cpu: '1500m', memory: '268435456' },
      requests: { cpu: '1500m', memory: '268435456' },
    });
    expect(container.env).toContainEqual({ name: 'FLEET_ROLE', value: 'coder' });
    expect(podSpec.volumes).toContainEqual(
      expect.objectContaining({ secret: expect.objectContaining({ secretName: task.id }) }),
    );
    expect(
      container.volumeMounts.map((mount: { mountPath: string; readOnly: boolean }) => [
        mount.mountPath,
        mount.readOnly,
      ]),
    ).toEqual([['/var/run/fleet-secrets', true], ...mounts.map((mount) => [mount.target, true])]);
    expect(stored!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Job', name: task.id, uid: job!.metadata.uid }),
    ]);
    expect(Object.keys(stored!.data)).toEqual(['API_KEY']);
    for (const [what, text] of [
      ['job', JSON.stringify(job)],
      ['pod', JSON.stringify(pod)],
      ['log', lines],
    ] as const) {
      expect(
        text.includes(secret) || text.includes(Buffer.from(secret).toString('base64')),
        `${what} shows the secret`,
      ).toBe(false);
    }

    await task.remove();
    await expectNothingLeft(spec);
  });

  it('puts network "host" on the node\'s network and network "none" behind a deny-all NetworkPolicy the task cannot pass', async () => {
    const runtime = newRuntime();
    const port = cluster.fake ? new URL(cluster.fake.url).port : '1';
    // The task tries to reach a loopback port of the node, here the stand-in API server itself.
    const probe = `${process.execPath} -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('REACHED'); process.exit(0) }).on('error', (e) => { console.log('BLOCKED ' + e.code); process.exit(0) })"`;
    const host = await runtime.start(taskSpec(cluster.fake ? probe : 'true', { network: 'host' }));
    const none = await runtime.start(taskSpec(cluster.fake ? probe : 'true', { network: 'none' }));
    const [hostOut, noneOut] = [follow(host), follow(none)];
    expect((await host.exit()).exitCode).toBe(0);
    expect((await none.exit()).exitCode).toBe(0);
    await Promise.all([hostOut.done, noneOut.done]);

    const [hostPod] = await cluster.list('pods', `${LABELS.task}=${host.labels.task}`);
    const [nonePod] = await cluster.list('pods', `${LABELS.task}=${none.labels.task}`);
    expect(hostPod!.spec).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(nonePod!.spec.hostNetwork ?? false).toBe(false);
    const [policy] = await cluster.list('networkpolicies', `${LABELS.task}=${none.labels.task}`);
    expect(policy!.spec).toMatchObject({
      podSelector: { matchLabels: { [LABELS.task]: none.labels.task } },
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(policy!.spec.ingress ?? []).toEqual([]);
    expect(policy!.spec.egress ?? []).toEqual([]);
    expect(await cluster.list('networkpolicies', `${LABELS.task}=${host.labels.task}`)).toEqual([]);
    if (cluster.fake) {
      expect(hostOut.text()).toContain('REACHED');
      expect(noneOut.text()).toMatch(/BLOCKED E/);
    }
    await Promise.all([host.remove(), none.remove()]);
  });

  it('cancel sends SIGTERM, ends the process and deletes the pod and the Job', async () => {
    const runtime = newRuntime();
    const spec = taskSpec('trap "echo got-term; exit 143" TERM; echo started; sleep 300 & wait');
    const task = await runtime.start(spec);
    const output = follow(task);
    await output.holds('started');
    const pids = cluster.fake?.runningPids() ?? [];
    await task.stop(10_000);
    await output.done;
    expect(output.text()).toContain('got-term');
    expect(await cluster.list('pods', selectorOf(spec))).toEqual([]);
    expect(await cluster.list('jobs', selectorOf(spec))).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    if (cluster.fake) {
      const deletes = cluster.fake.requests.filter(
        (request) => request.startsWith('DELETE') && request.includes(task.id),
      );
      expect(deletes[0]).toMatch(
        new RegExp(`^DELETE /api/v1/namespaces/${cluster.namespace}/pods/${task.id}-\\w+\\?gracePeriodSeconds=10$`),
      );
      expect(deletes[1]).toBe(
        `DELETE /apis/batch/v1/namespaces/${cluster.namespace}/jobs/${task.id}?propagationPolicy=Background`,
      );
    }
    expect((await task.exit()).error).toBeNull();
    await task.remove();
    await expectNothingLeft(spec);
  });

  fakeOnly('reports a container the OOM killer ended as oomKilled', async () => {
    const spec = taskSpec('echo ready; sleep 300', {
      limits: { cpus: null, memoryBytes: 64 * 1024 * 1024, pids: null },
    });
    const task = await newRuntime().start(spec);
    const output = follow(task);
    await output.holds('ready');
    const [pod] = await cluster.list('pods', selectorOf(spec));
    cluster.fake!.oomKill(pod!.metadata.name);
    expect(await task.exit()).toEqual({ exitCode: 137, oomKilled: true, error: null });
    await task.remove();
  });

  fakeOnly("reports a pod the kubelet evicted with the eviction's reason", async () => {
    const spec = taskSpec('echo ready; sleep 300');
    const task = await newRuntime().start(spec);
    await follow(task).holds('ready');
    const [pod] = await cluster.list('pods', selectorOf(spec));
    cluster.fake!.evict(pod!.metadata.name);
    expect(await task.exit()).toEqual({
      exitCode: 137,
      oomKilled: false,
      error: expect.stringMatching(
        /^kubernetes evicted the task's pod \(The node was low on resource: memory\..*\); give the node more room/,
      ),
    });
    await task.remove();
  });

  it('a second runtime finds the task by its labels, follows its output from the start and removes it', async () => {
    const spec = taskSpec('echo one; echo two');
    const first = await newRuntime().start(spec);
    const closed = follow(first);
    closed.close();
    await closed.done;
    const again = newRuntime();
    const found = await again.find(server);
    const task = found.find((candidate) => candidate.id === first.id)!;
    expect(task.labels).toEqual(spec.labels);
    expect(await again.find(`${server}-other`)).toEqual([]);
    const output = follow(task);
    expect(await task.exit()).toEqual({ exitCode: 0, oomKilled: false, error: null });
    await output.done;
    expect(output.text()).toBe('one\ntwo\n');
    expect(closed.text()).toBe('');
    await task.remove();
    await expectNothingLeft(spec);
  });

  it('a task found after its ended pod was collected reports the end its Job records', async () => {
    const runtime = newRuntime();
    const specs = [taskSpec('exit 0'), taskSpec('exit 4')];
    for (const spec of specs) await (await runtime.start(spec)).exit();
    for (const spec of specs) {
      const [pod] = await cluster.list('pods', selectorOf(spec));
      await cluster.deletePod(pod!.metadata.name);
    }
    const found = await newRuntime().find(server);
    const [passed, failed] = specs.map((spec) => found.find((task) => task.labels.task === spec.labels.task)!);
    expect(await passed!.exit()).toEqual({ exitCode: 0, oomKilled: false, error: null });
    expect(await failed!.exit()).toEqual({
      exitCode: null,
      oomKilled: false,
      error: expect.stringMatching(/^kubernetes failed the task's Job and its pod is gone \(BackoffLimitExceeded: /),
    });
    await Promise.all([passed!.remove(), failed!.remove()]);
    for (const spec of specs) await expectNothingLeft(spec);
  });

  it('an unreachable API server is one line naming its URL and context, the cause and the fix', async () => {
    const url = `https://127.0.0.1:${await closedPort()}`;
    const kubeconfig = writeKubeconfig(cluster.dir, { server: url, token: 'test-token', ca: null });
    const runtime = newRuntime(kubeconfig);
    const problem = await runtime.problem();
    expect(problem).toMatch(
      new RegExp(
        `^kubernetes API at ${url} \\(context fake\\) is unreachable while listing Jobs in namespace \\S+: .*ECONNREFUSED.*; start the cluster`,
      ),
    );
    expect(problem).not.toContain('\n');
    await expect(runtime.start(taskSpec('true'))).rejects.toThrow(RuntimeError);
  });

  fakeOnly('an API server whose certificate the kubeconfig does not trust is one line', async () => {
    const problem = await newRuntime(cluster.fake!.writeKubeconfig(cluster.dir, { trustCa: false })).problem();
    expect(problem).toMatch(
      /^kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(context fake\) is not trusted while listing Jobs .*certificate.*; set the cluster's certificate-authority-data/,
    );
    expect(problem).not.toContain('\n');
  });

  fakeOnly('a refused credential (401) is one line and starts nothing', async () => {
    const runtime = newRuntime(cluster.fake!.writeKubeconfig(cluster.dir, { token: 'stale-token' }));
    const problem = await runtime.problem();
    expect(problem).toMatch(
      /^kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(context fake\) refused the credentials while listing Jobs .*\(401 Unauthorized\); renew the context's token/,
    );
    expect(problem).not.toContain('\n');
    const spec = taskSpec('true');
    const error = await runtime.start(spec).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(/refused the credentials while creating Job/);
    await expectNothingLeft(spec);
  });

  fakeOnly('a Secret the context may not create (403) is one line, and the Job made before it is removed', async () => {
    cluster.fake!.forbidCreating('secrets');
    const spec = taskSpec('echo should-not-run', { secrets: { KEY: 'value' }, network: 'none' });
    const error = await newRuntime()
      .start(spec)
      .catch((caught: unknown) => caught)
      .finally(() => cluster.fake!.forbidCreating(null));
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(
      /^kubernetes API at \S+ \(context fake\) forbids creating the Secret or NetworkPolicy of Job \S+ in namespace \S+ \(403: secrets is forbidden: User "fake" cannot create resource "secrets" in API group "" in the namespace "\S+"\); grant the context's user a Role/,
    );
    await expectNothingLeft(spec);
  });

  fakeOnly('an image the nodes cannot pull is one line from exit(), and the task is removed', async () => {
    const spec = taskSpec('true', { image: ABSENT_IMAGE, secrets: { KEY: 'value' } });
    const task = await newRuntime().start(spec);
    const output = follow(task);
    const ended = await task.exit();
    await output.done;
    expect(ended.exitCode).toBeNull();
    expect(ended.error).toMatch(
      /^kubernetes cannot pull image "fleet-test\/absent:1" \((ErrImagePull|ImagePullBackOff): .*\); load the image into the cluster's nodes/,
    );
    expect(ended.error).not.toContain('\n');
    expect(output.text()).toBe('');
    await expectNothingLeft(spec);
  });

  it('refuses in one line, before calling the API, what Kubernetes could not hold', async () => {
    const runtime = newRuntime();
    await expect(
      runtime.start(taskSpec('true', { labels: { server, agent: 'trailing-', task: 'tx' } })),
    ).rejects.toThrow(/label io\.fleet-mcp\.agent="trailing-" is not a Kubernetes label value/);
    await expect(runtime.start(taskSpec('true', { network: 'bridge' }))).rejects.toThrow(
      /network "bridge" is not one a pod can join; use "none"/,
    );
    await expect(runtime.start(taskSpec('true', { secrets: { 'A/B': 'x' } }))).rejects.toThrow(
      /secret name "A\/B" cannot be a Secret key/,
    );
    const wrongContext = new KubernetesRuntime({
      kubeconfig: cluster.kubeconfig,
      context: 'nope',
      namespace: cluster.namespace,
      runAsUser: 1000,
      pollMs: 100,
    });
    expect(await wrongContext.problem()).toMatch(/^kubernetes backend: context "nope" is not in .*; use one of: /);
    const noNamespace = new KubernetesRuntime({
      kubeconfig: cluster.kubeconfig,
      context: null,
      namespace: 'fleet-absent-namespace',
      runAsUser: 1000,
      pollMs: 100,
    });
    await expect(noNamespace.start(taskSpec('true'))).rejects.toThrow(
      /has no such namespace while creating Job .*; create the namespace/,
    );
  });
});
