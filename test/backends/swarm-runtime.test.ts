import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RuntimeError, type TaskHandle } from '../../src/fleet/backends/remote/agent-runtime.js';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import { SwarmRuntime } from '../../src/fleet/backends/container/swarm-runtime.js';
import {
  FAKE_IMAGE,
  HOST_USR,
  importFakeImage,
  initSwarm,
  missingEngine,
  startDockerd,
  type PrivateEngine,
} from '../helpers/engines.js';
import { serviceRecords, swarmLeftovers } from './engine-records.js';
import { runtimeContract } from './runtime-contract.js';

const missing = missingEngine(['dockerd', 'docker', 'containerd', 'runc']);

test.runIf(missing !== null && process.env.CI === 'true')('the engine is installed', () => {
  throw new Error(missing!);
});

describe.skipIf(missing !== null)(`Docker Swarm replicated jobs${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await startDockerd();
    const started = Date.now();
    await initSwarm(engine);
    importFakeImage(engine, 'docker');
    console.log(
      `dockerd answered after ${engine.startMs} ms, swarm init and image import took ${Date.now() - started} ms`,
    );
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const client = () => new EngineClient({ host: engine.host });
  runtimeContract({
    runtime: () => new SwarmRuntime({ host: engine.host }),
    // Swarm refuses "none"; the host network is what a task needs to reach the server's git endpoint.
    network: 'host',
    records: (handle: TaskHandle) => serviceRecords(client(), handle.id),
    leftovers: (server: string) => swarmLeftovers(client(), server),
    noNewPrivileges: false,
  });

  test('the network "none" is refused up front, in one line with the fix, leaving nothing', async () => {
    const labels = { server: 'no-network', agent: 'ada', task: 't1' };
    const spec = {
      labels,
      image: FAKE_IMAGE,
      command: ['true'],
      env: {},
      secrets: { KEY: 'x' },
      limits: { cpus: null, memoryBytes: null, pids: null },
      network: 'none',
      readOnlyMounts: HOST_USR,
    };
    const error = await new SwarmRuntime({ host: engine.host }).start(spec).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toMatch(/^swarm: .*"host"/);
    expect(await swarmLeftovers(client(), labels.server)).toEqual([]);
  });

  test('an engine that is no swarm manager is named as such', async () => {
    const plain = await startDockerd();
    try {
      expect(await new SwarmRuntime({ host: plain.host }).problem()).toBe(
        `swarm: the engine at ${plain.host} is not a swarm manager: run \`docker swarm init\` there, or set DOCKER_HOST to a manager of the swarm`,
      );
    } finally {
      await plain.stop();
    }
  });
});
