import type { TaskExit } from '../remote/agent-runtime.js';
import { CONTAINER } from './job-manifest.js';
import type { Job, Pod } from './kube-objects.js';

/** Where a task's pod is: not started yet, running (its log can be followed), or ended for good. */
export type PodState = { phase: 'waiting' } | { phase: 'running' } | { phase: 'ended'; exit: TaskExit; ran: boolean };

/** Waiting reasons the kubelet does not get past by itself: the task will never start. */
const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);
const START_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

export function podState(pod: Pod, image: string): PodState {
  const state = pod.status?.containerStatuses?.find((status) => status.name === CONTAINER)?.state;
  if (state?.terminated) {
    const { exitCode, reason, message } = state.terminated;
    const cannotStart = reason === 'StartError' || reason === 'ContainerCannotRun';
    const evicted = pod.status?.reason === 'Evicted';
    const error = cannotStart
      ? `kubernetes could not start the task's command in image "${image}" (${reason}: ${clean(message)}); check that the image holds the command`
      : evicted
        ? `kubernetes evicted the task's pod (${clean(pod.status?.message)}); give the node more room or the role lower limits`
        : null;
    return { phase: 'ended', exit: { exitCode, oomKilled: reason === 'OOMKilled', error }, ran: !cannotStart };
  }
  const waiting = state?.waiting?.reason ?? '';
  if (IMAGE_FAILURES.has(waiting)) {
    return ended(
      `kubernetes cannot pull image "${image}" (${waiting}: ${clean(state?.waiting?.message)}); load the image into the cluster's nodes (kind load docker-image, k3s ctr images import) or fix the image's name`,
    );
  }
  if (START_FAILURES.has(waiting)) {
    return ended(
      `kubernetes cannot start the task's container (${waiting}: ${clean(state?.waiting?.message)}); fix the image or the backend's settings`,
    );
  }
  if (state?.running) return { phase: 'running' };
  if (pod.status?.phase === 'Failed') {
    return ended(
      `kubernetes ended the task's pod before its container ran (${pod.status.reason ?? 'Failed'}: ${clean(pod.status.message)}); see the namespace's events`,
    );
  }
  return { phase: 'waiting' };
}

/**
 * The end the Job records, for a task whose pod is gone (collected by the cluster's pod garbage collector while
 * the fleet was down, or deleted by someone): its exit code is gone with the pod; null while the Job runs.
 */
export function jobOutcome(job: Job): TaskExit | null {
  const holds = (type: string) =>
    job.status?.conditions?.find((condition) => condition.type === type && condition.status === 'True');
  if (holds('Complete')) return { exitCode: 0, oomKilled: false, error: null };
  const failed = holds('Failed');
  if (!failed) return null;
  return {
    exitCode: null,
    oomKilled: false,
    error: `kubernetes failed the task's Job and its pod is gone (${failed.reason ?? 'Failed'}: ${clean(failed.message)})`,
  };
}

function ended(error: string): PodState {
  return { phase: 'ended', exit: { exitCode: null, oomKilled: false, error }, ran: false };
}

function clean(message: string | undefined): string {
  return (message ?? 'no message').replace(/\s+/g, ' ').trim().slice(0, 300);
}
