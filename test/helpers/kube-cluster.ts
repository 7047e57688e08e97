import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeKubeApiServer } from '../fakes/kube-api-server.js';
import type { Json } from './json.js';

/**
 * The cluster the Kubernetes backend's tests run against: the stand-in API server on loopback, or a real cluster
 * (kind, k3s) when FLEET_MCP_TEST_KUBECONFIG names its kubeconfig. Its objects are read back through the
 * Kubernetes API in both cases, so the same assertions hold for either.
 */
export interface TestCluster {
  kubeconfig: string;
  namespace: string;
  /** An image with sh, already on the cluster's nodes (the stand-in runs every image from this host). */
  image: string;
  /** Null on a real cluster: tests that steer the kubelet are skipped there. */
  fake: FakeKubeApiServer | null;
  dir: string;
  /** The objects of one kind that carry the label selector, as the API returns them. */
  list(resource: 'jobs' | 'pods' | 'secrets' | 'networkpolicies', labelSelector: string): Promise<KubeObject[]>;
  /** What the cluster's pod garbage collector does to an ended pod while the fleet is down. */
  deletePod(name: string): Promise<void>;
  close(): Promise<void>;
}

export type KubeObject = Record<string, Json>;

export const REAL_KUBECONFIG = process.env.FLEET_MCP_TEST_KUBECONFIG ?? '';
const CLIENT = '@kubernetes/client-node';

export async function startTestCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-kube-'));
  const namespace = process.env.FLEET_MCP_TEST_NAMESPACE ?? 'fleet-test';
  const fake = REAL_KUBECONFIG
    ? null
    : await FakeKubeApiServer.start({ token: 'test-token', namespaces: [namespace], missingImages: [ABSENT_IMAGE] });
  const kubeconfig = fake ? fake.writeKubeconfig(dir) : REAL_KUBECONFIG;
  const client = await import(CLIENT);
  const config = new client.KubeConfig();
  config.loadFromFile(kubeconfig);
  const apis = {
    jobs: config.makeApiClient(client.BatchV1Api),
    core: config.makeApiClient(client.CoreV1Api),
    networking: config.makeApiClient(client.NetworkingV1Api),
  };
  // The client turns dates into Date objects; plain JSON keeps assertions on strings and structure simple.
  const plain = (list: { items: unknown[] }) => JSON.parse(JSON.stringify(list.items)) as KubeObject[];
  return {
    kubeconfig,
    namespace,
    image: process.env.FLEET_MCP_TEST_IMAGE ?? 'fleet-test/agent:1',
    fake,
    dir,
    async list(resource, labelSelector) {
      const request = { namespace, labelSelector };
      if (resource === 'jobs') return plain(await apis.jobs.listNamespacedJob(request));
      if (resource === 'pods') return plain(await apis.core.listNamespacedPod(request));
      if (resource === 'secrets') return plain(await apis.core.listNamespacedSecret(request));
      return plain(await apis.networking.listNamespacedNetworkPolicy(request));
    },
    async deletePod(name) {
      await apis.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      // A real cluster keeps the object until the Job controller drops its finalizer.
      while (
        (await apis.core.listNamespacedPod({ namespace, fieldSelector: `metadata.name=${name}` })).items.length > 0
      )
        await delay(200);
    },
    async close() {
      await fake?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An image the stand-in's kubelet cannot pull. */
export const ABSENT_IMAGE = 'fleet-test/absent:1';
