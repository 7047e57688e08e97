import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TaskHandle } from '../../src/fleet/backends/remote/agent-runtime.js';
import { DockerRuntime } from '../../src/fleet/backends/container/docker-runtime.js';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import {
  FAKE_IMAGE,
  HOST_USR,
  importFakeImage,
  missingEngine,
  startPodman,
  type PrivateEngine,
} from '../helpers/engines.js';
import { containerLeftovers, containerRecords } from './engine-records.js';
import { type FollowCutProxy, startFollowCutProxy } from './follow-cut-proxy.js';
import { collect, runtimeContract } from './runtime-contract.js';

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

    /** Runs `check` on a task started through a proxy that cuts the first `cuts` followed log answers short. */
    const withCutFollows = async (
      script: string,
      cuts: number,
      check: (handle: TaskHandle, proxy: FollowCutProxy) => Promise<void>,
    ) => {
      const proxy = await startFollowCutProxy(engine.socket, engine.dir, cuts);
      const handle = await new DockerRuntime({ kind: 'podman', host: proxy.host }).start({
        labels: { server: `test-${randomBytes(4).toString('hex')}`, agent: 'ada', task: 'cut' },
        image: FAKE_IMAGE,
        command: ['sh', '-c', script],
        env: {},
        secrets: {},
        limits: { cpus: 1, memoryBytes: 128 * 1024 * 1024, pids: 64 },
        network: 'none',
        readOnlyMounts: HOST_USR,
      });
      try {
        await check(handle, proxy);
      } finally {
        await handle.remove();
        await proxy.close();
      }
    };

    test('a followed log the engine ends early is read again to its end once the task has exited', async () => {
      await withCutFollows('echo out1; sleep 1; echo err1 >&2; echo out2', Infinity, async (handle, proxy) => {
        const output = collect(handle);
        await output.done;
        expect(output.stdout()).toBe('out1\nout2\n');
        expect(output.stderr()).toBe('err1\n');
        expect(proxy.cuts()).toBeGreaterThan(0);
      });
    });

    test('a followed log the engine ends early while the task runs is followed again', async () => {
      await withCutFollows('echo out1; sleep 3; echo out2; sleep 60', 1, async (handle, proxy) => {
        const output = collect(handle);
        const exitedFirst = handle.exit().then(() => {
          throw new Error('the task exited before its output was followed again');
        });
        await Promise.race([output.waitFor('out2'), exitedFirst]);
        expect(proxy.cuts()).toBe(1);
        await handle.stop(1000);
        await output.done;
        expect(output.stdout()).toBe('out1\nout2\n');
      });
    });
  },
);
