import { createRequire } from 'node:module';
import { isSea } from 'node:sea';
import { RuntimeError } from '../remote/agent-runtime.js';
import type { Job, NetworkPolicy, Pod, Secret } from './kube-objects.js';

/** Where the backend finds its cluster: a kubeconfig file and context, or the defaults kubectl uses. */
export interface KubeTarget {
  /** A kubeconfig file; null for $KUBECONFIG, ~/.kube/config, or the pod's service account when run in a cluster. */
  kubeconfig: string | null;
  /** A context of that file; null for its current context. */
  context: string | null;
}

type Named = { name: string; namespace: string };
type Deletion = Named & { gracePeriodSeconds?: number; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' };
type Listing = { namespace: string; labelSelector: string; limit?: number };

/** The calls of @kubernetes/client-node 1.x this backend makes, and nothing else. */
export interface KubeApi {
  /** The API server's URL and the context's name, for error lines. */
  server: string;
  context: string;
  batch: {
    createNamespacedJob(request: { namespace: string; body: Job }): Promise<Job>;
    listNamespacedJob(request: Listing): Promise<{ items: Job[] }>;
    deleteNamespacedJob(request: Deletion): Promise<unknown>;
  };
  core: {
    createNamespacedSecret(request: { namespace: string; body: Secret }): Promise<Secret>;
    deleteNamespacedSecret(request: Named): Promise<unknown>;
    listNamespacedPod(request: Listing): Promise<{ items: Pod[] }>;
    deleteNamespacedPod(request: Deletion): Promise<unknown>;
  };
  networking: {
    createNamespacedNetworkPolicy(request: { namespace: string; body: NetworkPolicy }): Promise<NetworkPolicy>;
    deleteNamespacedNetworkPolicy(request: Named): Promise<unknown>;
  };
  /** Options for node:http(s).request that authenticate to the API server, for the log stream the client lacks. */
  requestOptions(): Promise<import('node:https').RequestOptions>;
}

interface KubeConfigLike {
  loadFromDefault(): void;
  loadFromFile(file: string): void;
  setCurrentContext(context: string): void;
  getCurrentContext(): string;
  getContexts(): { name: string }[];
  getCurrentCluster(): { server: string } | null;
  makeApiClient(api: unknown): unknown;
  applyToHTTPSOptions(options: import('node:https').RequestOptions): Promise<void>;
}

interface ClientModule {
  KubeConfig: new () => KubeConfigLike;
  BatchV1Api: unknown;
  CoreV1Api: unknown;
  NetworkingV1Api: unknown;
}

/** A variable, not a literal, so the bundler leaves the require to run time instead of bundling it. */
const PACKAGE = '@kubernetes/client-node';
/** How to install it: an optional peer dependency of fleet-mcp, so not installed with it. */
const INSTALL = `run \`npm install ${PACKAGE}@1.4\` where fleet-mcp is installed (\`npm install -g ${PACKAGE}@1.4\` beside a global fleet-mcp)`;

/**
 * Loads the optional client only now, so a fleet without a Kubernetes backend never needs it installed. It is an ES
 * module, which require() loads on Node >= 20.19 and >= 22.12. Not import(): the npm build runs the server's bundle
 * from a V8 code cache (src/bundle-code-cache.ts), where import() has at most an experimental loader, which warns.
 */
function loadClient(): ClientModule {
  if (isSea()) {
    throw new RuntimeError(
      `kubernetes backend: the single-file binary cannot load ${PACKAGE}; use fleet-mcp's npm package and ${INSTALL}`,
    );
  }
  try {
    return createRequire(__filename)(PACKAGE) as ClientModule;
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    // Not one of the client's own dependencies missing: that is a broken install.
    if (code === 'MODULE_NOT_FOUND' && (error as Error).message.includes(`'${PACKAGE}'`)) {
      throw new RuntimeError(
        `kubernetes backend: ${PACKAGE} is not installed: fleet-mcp needs it only for a kubernetes backend, so leaves it out; ${INSTALL}`,
      );
    }
    if (code === 'ERR_REQUIRE_ESM') {
      throw new RuntimeError(
        `kubernetes backend: ${PACKAGE} is an ES module, which Node ${process.version} cannot require: run the server on Node 22.12 or later (20.19 or later on Node 20)`,
      );
    }
    throw new RuntimeError(`kubernetes backend: cannot load ${PACKAGE}: ${firstLine(error)}; reinstall it: ${INSTALL}`);
  }
}

export async function connect(target: KubeTarget): Promise<KubeApi> {
  const client = loadClient();
  const config = new client.KubeConfig();
  const source = target.kubeconfig ?? 'the default kubeconfig';
  try {
    if (target.kubeconfig) config.loadFromFile(target.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    throw new RuntimeError(
      `kubernetes backend: cannot read ${source}: ${firstLine(error)}; point the backend's kubeconfig at a readable kubeconfig file`,
    );
  }
  if (target.context) {
    const known = config.getContexts().map((context) => context.name);
    if (!known.includes(target.context)) {
      throw new RuntimeError(
        `kubernetes backend: context "${target.context}" is not in ${source}; use one of: ${known.join(', ') || '(none)'}`,
      );
    }
    config.setCurrentContext(target.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new RuntimeError(
      `kubernetes backend: ${source} names no cluster for its current context; set the backend's context`,
    );
  return {
    server: cluster.server,
    context: config.getCurrentContext() || '(none)',
    batch: config.makeApiClient(client.BatchV1Api) as KubeApi['batch'],
    core: config.makeApiClient(client.CoreV1Api) as KubeApi['core'],
    networking: config.makeApiClient(client.NetworkingV1Api) as KubeApi['networking'],
    async requestOptions() {
      const options: import('node:https').RequestOptions = {};
      await config.applyToHTTPSOptions(options);
      return options;
    },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
