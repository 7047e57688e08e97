import type { Duplex } from 'node:stream';
import {
  LABELS,
  RuntimeError,
  type AgentRuntime,
  type RemoteTaskSpec,
  type TaskHandle,
} from '../remote/agent-runtime.js';
import { containerCreateBody } from './container-create-body.js';
import { DockerTask } from './docker-task.js';
import { EngineApiError, EngineClient, type EngineClientOptions } from './engine-client.js';
import { asLine, engineProblem, localImageId, missingImageLine } from './engine-problem.js';
import { checkSecretNames, secretLines } from './secret-lines.js';
import { labelFilter, labelsFrom } from './task-labels.js';

export interface DockerRuntimeOptions extends EngineClientOptions {
  /** 'docker' or 'podman': the same Engine API, named in errors and task logs. */
  kind: 'docker' | 'podman';
}

/** Tasks as plain containers on one Docker or Podman engine. */
export class DockerRuntime implements AgentRuntime {
  readonly kind: 'docker' | 'podman';
  private readonly client: EngineClient;

  constructor(options: DockerRuntimeOptions) {
    this.kind = options.kind;
    this.client = new EngineClient(options);
  }

  problem(): Promise<string | null> {
    return engineProblem(this.client, this.kind);
  }

  async start(spec: RemoteTaskSpec): Promise<TaskHandle> {
    const badName = checkSecretNames(spec.secrets);
    if (badName) throw new RuntimeError(`${this.kind}: ${badName}`);
    const id = await this.engineStep(() => this.create(spec));
    try {
      await this.startWithSecrets(id, spec.secrets);
    } catch (error) {
      await this.client
        .json('DELETE', `/containers/${id}`, { query: { force: 1, v: 1 }, accept: [404] })
        .catch(() => {});
      throw new RuntimeError(asLine(error, this.kind, this.client.address.text));
    }
    return new DockerTask(this.client, id, spec.labels);
  }

  async find(server: string): Promise<TaskHandle[]> {
    const { body } = await this.engineStep(() =>
      this.client.json<{ Id: string; Labels: Record<string, string> }[]>('GET', '/containers/json', {
        query: { all: 1, filters: labelFilter(LABELS.server, server) },
      }),
    );
    return body.flatMap((container) => {
      const labels = labelsFrom(container.Labels);
      return labels ? [new DockerTask(this.client, container.Id, labels)] : [];
    });
  }

  private async create(spec: RemoteTaskSpec): Promise<string> {
    // Looked up first so a missing image is named as such and no engine gets the chance to pull it.
    if ((await localImageId(this.client, spec.image)) === null) {
      throw new RuntimeError(missingImageLine(this.kind, this.client.address.text, spec.image));
    }
    const created = await this.client.json<{ Id: string }>('POST', '/containers/create', {
      body: containerCreateBody(spec),
    });
    return created.body.Id;
  }

  /**
   * Starts the container and writes the secrets on its stdin, then closes it: they reach the process without showing
   * in the container's record, its image or its log. Docker lets stdin be attached before the start, as `docker run`
   * does, so a task that ends at once still gets them; Podman 4.3 answers 409 there and is attached once started.
   */
  private async startWithSecrets(id: string, secrets: Record<string, string>): Promise<void> {
    const attach = () => this.client.hijack(`/containers/${id}/attach`, { stream: 1, stdin: 1, stdout: 0, stderr: 0 });
    let stdin: Duplex | null = await attach().catch((error: unknown) => {
      if (error instanceof EngineApiError && error.status === 409) return null;
      throw error;
    });
    await this.client.json('POST', `/containers/${id}/start`);
    if (!stdin) {
      try {
        stdin = await attach();
      } catch (error) {
        // Ended before it could be attached: it never read its stdin, so there is nothing to hand over.
        if (error instanceof EngineApiError && error.status === 409 && !(await this.isRunning(id))) return;
        throw error;
      }
    }
    await writeAndEnd(stdin, secretLines(secrets));
  }

  private async isRunning(id: string): Promise<boolean> {
    const { body } = await this.client.json<{ State?: { Running?: boolean } }>('GET', `/containers/${id}/json`);
    return body.State?.Running === true;
  }

  private async engineStep<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      throw new RuntimeError(asLine(error, this.kind, this.client.address.text));
    }
  }
}

/**
 * Writes and half-closes: the engine then closes the container's stdin (StdinOnce). The engine holds its side open
 * until the container ends and closes it then; whatever it sends is read and dropped.
 */
function writeAndEnd(stream: Duplex, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('error', reject);
    stream.resume();
    stream.end(text, () => {
      stream.off('error', reject);
      stream.on('error', () => {});
      resolve();
    });
  });
}
