import { afterAll, beforeAll, describe, test } from 'vitest';
import type { TaskHandle } from '../../src/fleet/backends/remote/agent-runtime.js';
import { DockerRuntime } from '../../src/fleet/backends/container/docker-runtime.js';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import { importFakeImage, missingEngine, startPodman, type PrivateEngine } from '../helpers/engines.js';
import { containerLeftovers, containerRecords } from './engine-records.js';
import { runtimeContract } from './runtime-contract.js';

const missing = missingEngine(['podman', '/usr/libexec/podman/catatonit']);

test.runIf(missing !== null && process.env.CI === 'true')('the engine is installed', () => {
  throw new Error(missing!);
});

describe.skipIf(missing !== null)(
  `Podman containers through its Docker API${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let engine: PrivateEngine;
    beforeAll(async () => {
      engine = await startPodman();
      importFakeImage(engine, 'podman');
      console.log(`podman system service answered after ${engine.startMs} ms`);
    });
    afterAll(async () => {
      await engine?.stop();
    });

    const client = () => new EngineClient({ host: engine.host });
    runtimeContract({
      runtime: () => new DockerRuntime({ kind: 'podman', host: engine.host }),
      network: 'none',
      records: (handle: TaskHandle) => containerRecords(client(), handle.id),
      leftovers: (server: string) => containerLeftovers(client(), server),
      // Podman 4.3 learns of an OOM kill from conmon, which on this cgroup v1 host records none: State.OOMKilled stays
      // false though the kernel logged the kill. The limit itself holds (exit 137).
      recordsOomKill: false,
    });
  },
);
