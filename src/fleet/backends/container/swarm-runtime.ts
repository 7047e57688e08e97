import { randomBytes } from 'node:crypto';
import {
  LABELS,
  RuntimeError,
  type AgentRuntime,
  type RemoteTaskSpec,
  type TaskHandle,
} from '../remote/agent-runtime.js';
import { EngineClient, type EngineClientOptions } from './engine-client.js';
import { asLine, engineProblem, localImageId, missingImageLine } from './engine-problem.js';
import { checkSecretNames } from './secret-lines.js';
import { serviceCreateBody, type CreatedSecret } from './service-create-body.js';
import { SwarmTask } from './swarm-task.js';
import { labelFilter, labelsFor, labelsFrom } from './task-labels.js';

/** Tasks as replicated-job services on a Docker Swarm, through one of its managers. */
export class SwarmRuntime implements AgentRuntime {
  readonly kind = 'swarm';
  private readonly client: EngineClient;

  constructor(options: EngineClientOptions) {
    this.client = new EngineClient(options);
  }

  async problem(): Promise<string | null> {
    const unreachable = await engineProblem(this.client, this.kind);
    if (unreachable) return unreachable;
    const { body } = await this.client.json<{ Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } }>(
      'GET',
      '/info',
    );
    if (body.Swarm?.LocalNodeState === 'active' && body.Swarm.ControlAvailable) return null;
    return `swarm: the engine at ${this.client.address.text} is not a swarm manager: run \`docker swarm init\` there, or set DOCKER_HOST to a manager of the swarm`;
  }

  async start(spec: RemoteTaskSpec): Promise<TaskHandle> {
    const problem = checkSecretNames(spec.secrets) ?? networkProblem(spec.network);
    if (problem) throw new RuntimeError(`swarm: ${problem}`);
    const secrets: CreatedSecret[] = [];
    try {
      const image = await localImageId(this.client, spec.image);
      if (image === null) throw new RuntimeError(missingImageLine(this.kind, this.client.address.text, spec.image));
      for (const [variable, value] of Object.entries(spec.secrets))
        secrets.push(await this.createSecret(spec, variable, value));
      const created = await this.client.json<{ ID: string }>('POST', '/services/create', {
        body: serviceCreateBody(spec, image, secrets),
      });
      return new SwarmTask(this.client, created.body.ID, spec.labels);
    } catch (error) {
      for (const secret of secrets)
        await this.client.json('DELETE', `/secrets/${secret.id}`, { accept: [404] }).catch(() => {});
      if (error instanceof RuntimeError) throw error;
      throw new RuntimeError(asLine(error, this.kind, this.client.address.text));
    }
  }

  async find(server: string): Promise<TaskHandle[]> {
    try {
      const { body } = await this.client.json<{ ID: string; Spec: { Labels?: Record<string, string> } }[]>(
        'GET',
        '/services',
        {
          query: { filters: labelFilter(LABELS.server, server) },
        },
      );
      return body.flatMap((service) => {
        const labels = labelsFrom(service.Spec.Labels);
        return labels ? [new SwarmTask(this.client, service.ID, labels)] : [];
      });
    } catch (error) {
      throw new RuntimeError(asLine(error, this.kind, this.client.address.text));
    }
  }

  /** One swarm secret per value, named uniquely (names are global to the swarm) and labelled for cleanup. */
  private async createSecret(spec: RemoteTaskSpec, variable: string, value: string): Promise<CreatedSecret> {
    const name = `fleet-${randomBytes(6).toString('hex')}-${variable}`.slice(0, 64);
    const created = await this.client.json<{ ID: string }>('POST', '/secrets/create', {
      body: { Name: name, Data: Buffer.from(value, 'utf8').toString('base64'), Labels: labelsFor(spec.labels) },
    });
    return { name, id: created.body.ID, variable };
  }
}

/** Swarm attaches services to swarm networks or the node's host network; it refuses "none" (Docker 20.10). */
function networkProblem(network: string): string | null {
  if (network === 'none')
    return 'a service cannot run without a network on swarm: set the network to "host" or to an overlay network of the swarm';
  return null;
}
