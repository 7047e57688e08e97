import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/fleet/backends/remote/agent-runtime.js';
import { freePort } from '../helpers/engines.js';
import { REAL_KUBECONFIG, startTestCluster, type TestCluster } from '../helpers/kube-cluster.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import {
  addRoles,
  engineFleet,
  hostileAgentHeld,
  restartFollowed,
  waitForLog,
  writeFakeAgent,
} from './engine-fleet.js';
import { startFleetServer, type FleetSandbox, type FleetServer } from './fleet-server.js';

/**
 * Agents on the kubernetes backend through the real server, against the stand-in API server: its kubelet runs each
 * pod's command as a process of this host, on the host network (hostNetwork), so the task script clones from and
 * pushes to the server's git endpoint for real. A real cluster's pods do not share this host's loopback, so this
 * suite runs on the stand-in only.
 */
const RUN_AS_USER = 1000;

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

describe.skipIf(Boolean(REAL_KUBECONFIG))('agents on kubernetes, through the server', () => {
  let cluster: TestCluster;
  let fake: string;
  // One server for the agents that need no server of their own; each agent has a name of its own.
  let fleet: FleetSandbox;
  let server: FleetServer;
  let closedPort: number;
  beforeAll(async () => {
    cluster = await startTestCluster();
    fake = writeFakeAgent();
    fleet = kubeFleet();
    // A backend whose API server does not answer, beside the working one.
    closedPort = await freePort();
    const kubeconfig = cluster.fake!.writeKubeconfig(cluster.dir, { server: `https://127.0.0.1:${closedPort}` });
    addRoles(fleet, { nowhere: { backend: 'nowhere' } }, { nowhere: { kubeconfig } });
    server = await start(fleet);
  });
  afterAll(async () => {
    await server?.server.stop();
    await cluster?.close();
    if (fake) rmSync(fake, { recursive: true, force: true });
  });

  /** What the API server still holds for the agent's tasks, read through the API. */
  const leftovers = async (agent: string): Promise<string[]> => {
    const found: string[] = [];
    for (const resource of ['jobs', 'pods', 'secrets', 'networkpolicies'] as const) {
      const objects = await cluster.list(resource, `${LABELS.agent}=${agent}`);
      found.push(...objects.map((object) => `${resource}/${object.metadata.name}`));
    }
    return found;
  };

  const providerKey = rememberSecret(`sk-test-${Math.random().toString(36).slice(2)}`);

  function kubeFleet(backendExtra: Record<string, unknown> = {}): FleetSandbox {
    return engineFleet({
      backend: {
        engine: 'kubernetes',
        kubeconfig: cluster.kubeconfig,
        namespace: cluster.namespace,
        image: cluster.image,
        network: 'host',
        run_as_user: RUN_AS_USER,
        secrets: ['FLEET_TEST_PROVIDER_KEY'],
        ...backendExtra,
      },
      command: join(fake, 'agent'),
    });
  }

  const start = (fleet: FleetSandbox, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<FleetServer> =>
    startFleetServer(fleet, { FLEET_TEST_PROVIDER_KEY: providerKey, ...env }, { args });

  it('runs a task in a pod whose work comes back only as its branch: changes, merge, delete, nothing left', async () => {
    await server.ok('create_agent', { name: 'ada', project: 'repo', role: 'boxed', task: 'write:ada' });
    const waited = await server.ok('wait_for_agent', { name: 'ada', timeout_seconds: 120 });
    expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
    expect(JSON.stringify(await server.ok('show_agent_log', { name: 'ada' }))).toContain('wrote ada.txt');
    expect(JSON.stringify(await server.ok('show_agent_changes', { name: 'ada' }))).toContain('ada.txt');
    // The server removed the task once it ended, before anyone asked.
    expect(await leftovers('ada')).toEqual([]);
    await server.ok('merge_agent', { name: 'ada' });
    expect(execFileSync('git', ['-C', fleet.repo, 'show', 'main:ada.txt'], { encoding: 'utf8' })).toBe('work of ada\n');
    await server.ok('delete_agent', { name: 'ada' });
    expect(existsSync(join(fleet.dataDir, 'worktrees', 'ada'))).toBe(false);
    expect(await leftovers('ada')).toEqual([]);
  }, 240_000);

  it('hands the provider key to the pod only in its Secret, never in the Job or pod spec', async () => {
    await server.ok('create_agent', { name: 'keeper', project: 'repo', role: 'boxed', task: 'wait-for:go-keeper' });
    await waitForLog(server, 'keeper', 'waiting');
    const selector = `${LABELS.agent}=keeper`;
    const [secret] = await cluster.list('secrets', selector);
    expect(Buffer.from(secret!.data.FLEET_TEST_PROVIDER_KEY, 'base64').toString()).toBe(providerKey);
    for (const resource of ['jobs', 'pods'] as const) {
      const objects = await cluster.list(resource, selector);
      expect(objects.length, resource).toBe(1);
      expect(JSON.stringify(objects), resource).not.toContain(providerKey);
    }
    writeFileSync(join(fake, 'go-keeper'), '');
    const waited = await server.ok('wait_for_agent', { name: 'keeper', timeout_seconds: 120 });
    expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
    await server.ok('delete_agent', { name: 'keeper', force: true });
    expect(await leftovers('keeper')).toEqual([]);
  }, 240_000);

  it("refuses a hostile agent every ref but its own, even with the task's credential: main and another agent's branch stay as they were", async () => {
    // The agent runs as the task's user, who reads the Secret's files: the server's refusal is what holds.
    expect(await hostileAgentHeld({ fleet, server, leftovers })).toContain("attacking with the task's git credential");
  }, 240_000);

  it('cancels a running task: its pod ends and its Job, pod and Secret go', async () => {
    await server.ok('create_agent', { name: 'sleeper', project: 'repo', role: 'boxed', task: 'sleep' });
    await waitForLog(server, 'sleeper', 'sleeping');
    expect(cluster.fake!.runningPids()).toHaveLength(1);
    await server.ok('cancel_agent_task', { name: 'sleeper' });
    const waited = await server.ok('wait_for_agent', { name: 'sleeper', timeout_seconds: 120 });
    expect(waited.agent.last_task).toMatchObject({ status: 'canceled' });
    expect(await leftovers('sleeper')).toEqual([]);
    expect(cluster.fake!.runningPids()).toEqual([]);
  }, 240_000);

  // A server and data dir of its own: the restart is the subject.
  it(
    'follows a task again after a restart, and takes its push',
    () => restartFollowed({ fleet: () => kubeFleet(), start, leftovers, fake: () => fake }),
    240_000,
  );

  it('refuses in one line, leaving no agent, branch or Job: an unreachable API server', async () => {
    const refused = await server.fails('create_agent', {
      name: 'nowhere',
      project: 'repo',
      role: 'nowhere',
      task: 'write:x',
    });
    expect(refused).not.toContain('\n');
    expect(refused).toContain(`kubernetes API at https://127.0.0.1:${closedPort}`);
    expect(refused).toContain('is unreachable');
    expect(refused).toContain('no agent was created');
    expect(() =>
      execFileSync('git', ['-C', fleet.repo, 'rev-parse', '--verify', '--quiet', 'refs/heads/fleet/nowhere'], {
        stdio: 'pipe',
      }),
    ).toThrow();
    expect(await leftovers('nowhere')).toEqual([]);
  }, 240_000);
});
