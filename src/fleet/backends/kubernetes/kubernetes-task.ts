import { setTimeout as delay } from 'node:timers/promises';
import { RuntimeError, type TaskExit, type TaskHandle, type TaskLabels } from '../remote/agent-runtime.js';
import type { KubeApi } from './kube-client.js';
import { apiFailure, isNotFound } from './kube-errors.js';
import { taskSelector } from './job-manifest.js';
import type { Job, Pod } from './kube-objects.js';
import { followPodLog, type LogFollow } from './pod-log.js';
import { jobOutcome, podState } from './pod-state.js';

export interface TaskContext {
  api: KubeApi;
  namespace: string;
  /** How often the pod is read while the task waits to start or runs. */
  pollMs: number;
}

/** How long exit() rides out an API server that does not answer (a restart, a network blip) before giving up. */
const API_PATIENCE_MS = 120_000;
/** How long stop() and remove() wait for the kubelet to end the pod and the API to drop it. */
const GONE_WAIT_MS = 60_000;
const STOPPED: TaskExit = { exitCode: null, oomKilled: false, error: null };

/** One task: a Job, its one pod, and the Secret (and for network "none" the NetworkPolicy) it owns. */
export class KubernetesTask implements TaskHandle {
  private ended: Promise<TaskExit> | null = null;
  /** Set by stop() and remove(): a pod that vanishes then was ended by the fleet, not lost. */
  private stopping = false;

  constructor(
    private readonly context: TaskContext,
    /** The Job's name, which the Secret and NetworkPolicy share. */
    readonly id: string,
    readonly labels: TaskLabels,
    private readonly image: string,
  ) {}

  output(onChunk: (stream: 'stdout' | 'stderr', data: Buffer) => void): { done: Promise<void>; close(): void } {
    let closed = false;
    let follow: LogFollow | null = null;
    let wake!: () => void;
    const closing = new Promise<void>((resolve) => (wake = resolve));
    const run = async () => {
      const pod = await this.podWithLog(() => closed);
      if (!pod || closed) return;
      follow = await followPodLog(this.context.api, this.context.namespace, pod, (data) => {
        if (!closed) onChunk('stdout', data);
      });
      if (closed) follow.close();
      await follow.done;
    };
    // An API failure here ends the output early; exit() is what reports a cluster that stopped answering.
    const done = Promise.race([run().catch(() => undefined), closing]);
    return {
      done,
      close() {
        closed = true;
        follow?.close();
        wake();
      },
    };
  }

  exit(): Promise<TaskExit> {
    this.ended ??= this.watchUntilEnd();
    return this.ended;
  }

  /**
   * The Job goes only once its pod is gone: the garbage collector's own delete of the pod would cut a grace
   * longer than the pod's terminationGracePeriodSeconds (30 s). With backoffLimit 0 the Job makes no new pod.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const gracePeriodSeconds = Math.max(0, Math.ceil(graceMs / 1000));
    for (const pod of await this.pods("listing the task's pods")) {
      await this.ignoringNotFound(`deleting pod ${pod}`, () =>
        this.context.api.core.deleteNamespacedPod({ name: pod, namespace: this.context.namespace, gracePeriodSeconds }),
      );
    }
    await this.waitUntilGone({ job: false, withinMs: graceMs + GONE_WAIT_MS });
    await this.deleteJob();
    await this.waitUntilGone({ job: true, withinMs: GONE_WAIT_MS });
  }

  async remove(): Promise<void> {
    this.stopping = true;
    const { api, namespace } = this.context;
    for (const pod of await this.pods("listing the task's pods")) {
      await this.ignoringNotFound(`deleting pod ${pod}`, () =>
        api.core.deleteNamespacedPod({ name: pod, namespace, gracePeriodSeconds: 0 }),
      );
    }
    await this.deleteJob();
    await this.ignoringNotFound(`deleting Secret ${this.id}`, () =>
      api.core.deleteNamespacedSecret({ name: this.id, namespace }),
    );
    // Without the right to delete NetworkPolicies the API's garbage collector still removes it with its Job.
    await api.networking.deleteNamespacedNetworkPolicy({ name: this.id, namespace }).catch(() => undefined);
    await this.waitUntilGone({ job: true, withinMs: GONE_WAIT_MS });
  }

  private async watchUntilEnd(): Promise<TaskExit> {
    let failingSince: number | null = null;
    for (;;) {
      try {
        const verdict = await this.verdict();
        if (verdict) {
          // A task that never ran leaves nothing for the fleet to read: remove it now, as start() would have.
          if (verdict.removeTask) await this.remove().catch(() => undefined);
          return verdict.exit;
        }
        failingSince = null;
      } catch (error) {
        failingSince ??= Date.now();
        if (Date.now() - failingSince > API_PATIENCE_MS) {
          return {
            exitCode: null,
            oomKilled: false,
            error: apiFailure(this.context.api, `reading task ${this.id}`, error).message,
          };
        }
      }
      await delay(this.context.pollMs);
    }
  }

  private async verdict(): Promise<{ exit: TaskExit; removeTask: boolean } | null> {
    const pod = await this.pod();
    if (pod) {
      const state = podState(pod, this.image);
      return state.phase === 'ended' ? { exit: state.exit, removeTask: !state.ran } : null;
    }
    if (this.stopping) return { exit: STOPPED, removeTask: false };
    const job = await this.job();
    if (!job) {
      return {
        exit: {
          exitCode: null,
          oomKilled: false,
          error: `kubernetes Job ${this.id} was deleted before its pod ended; something other than the fleet removed it`,
        },
        removeTask: true,
      };
    }
    const outcome = jobOutcome(job);
    return outcome ? { exit: outcome, removeTask: false } : null;
  }

  /** The pod's name once its container runs or ran; null when it never will or the output was closed. */
  private async podWithLog(closed: () => boolean): Promise<string | null> {
    while (!closed()) {
      try {
        const pod = await this.pod();
        if (pod) {
          const state = podState(pod, this.image);
          if (state.phase === 'running' || (state.phase === 'ended' && state.ran)) return pod.metadata?.name ?? null;
          if (state.phase === 'ended') return null;
        } else if (this.stopping || !(await this.job())) {
          return null;
        }
      } catch {
        // The API may answer again; exit() is what gives up on it.
      }
      await delay(this.context.pollMs);
    }
    return null;
  }

  private async pod(): Promise<Pod | undefined> {
    const { items } = await this.context.api.core.listNamespacedPod({
      namespace: this.context.namespace,
      labelSelector: taskSelector(this.labels),
    });
    return items[0];
  }

  private async job(): Promise<Job | undefined> {
    const { items } = await this.context.api.batch.listNamespacedJob({
      namespace: this.context.namespace,
      labelSelector: taskSelector(this.labels),
    });
    return items.find((job) => job.metadata?.name === this.id);
  }

  private async pods(doing: string): Promise<string[]> {
    try {
      const { items } = await this.context.api.core.listNamespacedPod({
        namespace: this.context.namespace,
        labelSelector: taskSelector(this.labels),
      });
      return items.flatMap((pod) => (pod.metadata?.name ? [pod.metadata.name] : []));
    } catch (error) {
      throw apiFailure(this.context.api, doing, error);
    }
  }

  private deleteJob(): Promise<void> {
    const { api, namespace } = this.context;
    return this.ignoringNotFound(`deleting Job ${this.id}`, () =>
      api.batch.deleteNamespacedJob({ name: this.id, namespace, propagationPolicy: 'Background' }),
    );
  }

  private async ignoringNotFound(doing: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!isNotFound(error))
        throw apiFailure(this.context.api, `${doing} in namespace ${this.context.namespace}`, error);
    }
  }

  /** Polls until no pod of the task (and, if asked, not its Job) is left; the kubelet ends a pod on its own time. */
  private async waitUntilGone(options: { job: boolean; withinMs: number }): Promise<void> {
    const deadline = Date.now() + options.withinMs;
    for (;;) {
      const pods = await this.pods("checking that the task's pods are gone");
      const job = options.job
        ? await this.job().catch((error: unknown) => {
            throw apiFailure(this.context.api, `checking that Job ${this.id} is gone`, error);
          })
        : undefined;
      if (pods.length === 0 && !job) return;
      if (Date.now() > deadline) {
        const left = [...(job ? [`job/${this.id}`] : []), ...pods.map((pod) => `pod/${pod}`)].join(' ');
        throw new RuntimeError(
          `kubernetes still holds ${left} of task ${this.labels.task} in namespace ${this.context.namespace}; delete them with \`kubectl delete -n ${this.context.namespace} ${left}\``,
        );
      }
      await delay(this.context.pollMs);
    }
  }
}
