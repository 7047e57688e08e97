import { DockerRuntime } from './container/docker-runtime.js';
import { SwarmRuntime } from './container/swarm-runtime.js';
import { KUBERNETES_DEFAULTS, KubernetesRuntime } from './kubernetes/kubernetes-runtime.js';
import type { AgentRuntime } from './remote/agent-runtime.js';
import type { NamedBackend } from './remote/engine-launch.js';

/** The engine a backend of the fleet config runs its agents' tasks on. */
export async function createRuntime(backend: NamedBackend): Promise<AgentRuntime> {
  switch (backend.engine) {
    case 'docker':
    case 'podman':
      return new DockerRuntime({ kind: backend.engine, host: backend.host ?? process.env.DOCKER_HOST });
    case 'swarm':
      return new SwarmRuntime({ host: backend.host ?? process.env.DOCKER_HOST });
    case 'kubernetes':
      return new KubernetesRuntime({
        kubeconfig: backend.kubeconfig ?? null,
        context: backend.context ?? null,
        namespace: backend.namespace ?? 'default',
        runAsUser: backend.run_as_user ?? KUBERNETES_DEFAULTS.runAsUser,
        pollMs: KUBERNETES_DEFAULTS.pollMs,
      });
  }
}
