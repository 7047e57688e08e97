import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LABELS, type TaskHandle } from '../../src/fleet/backends/remote/agent-runtime.js';
import { DockerRuntime } from '../../src/fleet/backends/container/docker-runtime.js';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import { importFakeImage, missingEngine, startDockerd, type PrivateEngine } from '../helpers/engines.js';
import { runtimeContract } from './runtime-contract.js';
import { containerLeftovers, containerRecords } from './engine-records.js';

const missing = missingEngine(['dockerd', 'docker', 'containerd', 'runc']);

test.runIf(missing !== null && process.env.CI === 'true')('the engine is installed', () => {
  throw new Error(missing!);
});

describe.skipIf(missing !== null)(`Docker containers${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await startDockerd();
    importFakeImage(engine, 'docker');
    console.log(`dockerd answered after ${engine.startMs} ms`);
  }, 90_000);
  afterAll(async () => {
    await engine?.stop();
  }, 60_000);

  const client = () => new EngineClient({ host: engine.host });
  runtimeContract({
    runtime: () => new DockerRuntime({ kind: 'docker', host: engine.host }),
    network: 'none',
    records: (handle: TaskHandle) => containerRecords(client(), handle.id),
    leftovers: (server: string) => containerLeftovers(client(), server),
  });

  test('the container carries the guards: init, limits, no capabilities, no new privileges, the network asked for', async () => {
    const runtime = new DockerRuntime({ kind: 'docker', host: engine.host });
    const handle = await runtime.start({
      labels: { server: 'guards', agent: 'ada', task: 't1' },
      image: 'fleet-fake-agent:test',
      command: ['sh', '-c', 'true'],
      env: {},
      secrets: {},
      limits: { cpus: 0.5, memoryBytes: 64 * 1024 * 1024, pids: 32 },
      network: 'none',
      readOnlyMounts: [{ source: '/usr', target: '/usr' }],
    });
    try {
      const { body } = await client().json<{ Config: { Labels: Record<string, string> }; HostConfig: Record<string, unknown> }>('GET', `/containers/${handle.id}/json`);
      expect(body.HostConfig).toMatchObject({
        Init: true, NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, PidsLimit: 32,
        NetworkMode: 'none', CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], Privileged: false, Binds: ['/usr:/usr:ro'],
      });
      expect(body.Config.Labels).toMatchObject({ [LABELS.server]: 'guards', [LABELS.agent]: 'ada', [LABELS.task]: 't1' });
    } finally {
      await handle.remove();
    }
  });
});
