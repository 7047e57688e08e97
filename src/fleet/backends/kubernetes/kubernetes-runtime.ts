import {
  LABELS,
  RuntimeError,
  type AgentRuntime,
  type RemoteTaskSpec,
  type TaskHandle,
  type TaskLabels,
} from '../remote/agent-runtime.js';
import { connect, type KubeApi, type KubeTarget } from './kube-client.js';
import { apiFailure, statusCode } from './kube-errors.js';
import { checkSpec, denyAllPolicy, jobManifest, jobName, secretManifest } from './job-manifest.js';
import type { Job } from './kube-objects.js';
import { KubernetesTask } from './kubernetes-task.js';

export interface KubernetesRuntimeOptions extends KubeTarget {
  /** The namespace every task's Job, pod, Secret and NetworkPolicy lives in. */
  namespace: string;
  /** uid and gid of the task's processes (never root); the image must let that user run the agent. */
  runAsUser: number;
  /** How often a task's pod is read while it starts, runs and goes away. */
  pollMs: number;
}

export const KUBERNETES_DEFAULTS = { runAsUser: 1000, pollMs: 1000 } as const;

/** Runs each task as a batch/v1 Job of one pod through the Kubernetes API. */
export class KubernetesRuntime implements AgentRuntime {
  readonly kind = 'kubernetes';
  private api: Promise<KubeApi> | null = null;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    if (!Number.isInteger(options.runAsUser) || options.runAsUser <= 0) {
      throw new RuntimeError(
        `kubernetes backend: runAsUser ${options.runAsUser} is not a non-root uid; set it to a uid above 0 that the image can run as`,
      );
    }
  }

  async problem(): Promise<string | null> {
    try {
      const api = await this.connection();
      await this.listJobs(api, LABELS.server, 1);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async start(spec: RemoteTaskSpec): Promise<TaskHandle> {
    checkSpec(spec);
    const api = await this.connection();
    const { namespace } = this.options;
    const name = jobName(spec.labels);
    let job: Job;
    try {
      job = await api.batch.createNamespacedJob({ namespace, body: jobManifest(spec, name, this.options) });
    } catch (error) {
      if (statusCode(error) === 409) {
        throw new RuntimeError(
          `kubernetes Job ${name} for task ${spec.labels.task} already exists in namespace ${namespace}; remove the earlier task first`,
        );
      }
      throw apiFailure(api, `creating Job ${name} in namespace ${namespace}`, error);
    }
    const task = new KubernetesTask(this.context(api), name, spec.labels, spec.image);
    const owner = { name, uid: job.metadata?.uid ?? '' };
    try {
      // The pod cannot start before its Secret volume exists, so the NetworkPolicy made first is in place (as far
      // as the network plugin is quick) before the task's first packet.
      if (spec.network === 'none')
        await api.networking.createNamespacedNetworkPolicy({ namespace, body: denyAllPolicy(spec, owner, namespace) });
      await api.core.createNamespacedSecret({ namespace, body: secretManifest(spec, owner, namespace) });
    } catch (error) {
      await task.remove().catch(() => undefined);
      throw apiFailure(api, `creating the Secret or NetworkPolicy of Job ${name} in namespace ${namespace}`, error);
    }
    return task;
  }

  async find(server: string): Promise<TaskHandle[]> {
    const api = await this.connection();
    const jobs = await this.listJobs(api, `${LABELS.server}=${server}`);
    return jobs.flatMap((job) => {
      const labels = labelsOf(job);
      const name = job.metadata?.name;
      if (!labels || !name) return [];
      const image = job.spec?.template.spec.containers[0]?.image ?? '(unknown image)';
      return [new KubernetesTask(this.context(api), name, labels, image)];
    });
  }

  private async listJobs(api: KubeApi, labelSelector: string, limit?: number): Promise<Job[]> {
    const { namespace } = this.options;
    try {
      return (await api.batch.listNamespacedJob({ namespace, labelSelector, ...(limit ? { limit } : {}) })).items;
    } catch (error) {
      throw apiFailure(api, `listing Jobs in namespace ${namespace}`, error);
    }
  }

  /** Connects once; a failed connection is tried again next time, so fixing the kubeconfig needs no restart. */
  private connection(): Promise<KubeApi> {
    this.api ??= connect(this.options);
    const api = this.api;
    api.catch(() => {
      if (this.api === api) this.api = null;
    });
    return api;
  }

  private context(api: KubeApi) {
    return { api, namespace: this.options.namespace, pollMs: this.options.pollMs };
  }
}

function labelsOf(job: Job): TaskLabels | null {
  const labels = job.metadata?.labels ?? {};
  const server = labels[LABELS.server];
  const agent = labels[LABELS.agent];
  const task = labels[LABELS.task];
  return server && agent && task ? { server, agent, task } : null;
}
