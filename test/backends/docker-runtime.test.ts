import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LABELS, type TaskHandle } from '../../src/fleet/backends/remote/agent-runtime.js';
import { DockerRuntime } from '../../src/fleet/backends/container/docker-runtime.js';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import {
  FAKE_IMAGE,
  HOST_USR,
  freePort,
  importFakeImage,
  makeTlsCerts,
  missingEngine,
  startDockerd,
  type PrivateEngine,
  type TlsListener,
} from '../helpers/engines.js';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RemoteTaskSpec } from '../../src/fleet/backends/remote/agent-runtime.js';
import { collect } from './runtime-contract.js';
import { runtimeContract } from './runtime-contract.js';
import { containerLeftovers, containerRecords } from './engine-records.js';

const missing = missingEngine(['dockerd', 'docker', 'containerd', 'runc', 'openssl']);

test.runIf(missing !== null && process.env.CI === 'true')('the engine is installed', () => {
  throw new Error(missing!);
});

describe.skipIf(missing !== null)(`Docker containers${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let engine: PrivateEngine;
  const scratch = mkdtempSync('/var/tmp/fleet-docker-test-');
  let tls: TlsListener;
  beforeAll(async () => {
    tls = { port: await freePort(), certs: makeTlsCerts(scratch) };
    engine = await startDockerd({ tls });
    importFakeImage(engine, 'docker');
    console.log(`dockerd answered after ${engine.startMs} ms`);
  });
  afterAll(async () => {
    await engine?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

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
      const { body } = await client().json<{
        Config: { Labels: Record<string, string> };
        HostConfig: Record<string, unknown>;
      }>('GET', `/containers/${handle.id}/json`);
      expect(body.HostConfig).toMatchObject({
        Init: true,
        NanoCpus: 500_000_000,
        Memory: 64 * 1024 * 1024,
        MemorySwap: 64 * 1024 * 1024,
        PidsLimit: 32,
        NetworkMode: 'none',
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        Binds: ['/usr:/usr:ro'],
      });
      expect(body.Config.Labels).toMatchObject({
        [LABELS.server]: 'guards',
        [LABELS.agent]: 'ada',
        [LABELS.task]: 't1',
      });
    } finally {
      await handle.remove();
    }
  });

  const echoTask = (text: string): RemoteTaskSpec => ({
    labels: { server: 'remote', agent: 'ada', task: text },
    image: FAKE_IMAGE,
    command: ['sh', '-c', `echo ${text}`],
    env: {},
    secrets: { KEY: 'x' },
    limits: { cpus: null, memoryBytes: null, pids: null },
    network: 'none',
    readOnlyMounts: HOST_USR,
  });

  async function runEcho(runtime: DockerRuntime, text: string): Promise<string> {
    const handle = await runtime.start(echoTask(text));
    const output = collect(handle);
    await handle.exit();
    await output.done;
    await handle.remove();
    return output.stdout();
  }

  test('over tcp with TLS, as DOCKER_TLS_VERIFY and DOCKER_CERT_PATH say; a wrong CA is one line', async () => {
    const host = `tcp://127.0.0.1:${tls.port}`;
    const runtime = new DockerRuntime({
      kind: 'docker',
      host,
      tlsEnv: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.certs },
    });
    expect(await runtime.problem()).toBeNull();
    expect(await runEcho(runtime, 'over-tls')).toBe('over-tls\n');

    const otherCa = mkdtempSync(join(scratch, 'other-'));
    makeTlsCerts(otherCa);
    const wrong = new DockerRuntime({
      kind: 'docker',
      host,
      tlsEnv: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: otherCa },
    });
    expect(await wrong.problem()).toMatch(
      new RegExp(
        `^docker: the engine at ${host} failed the TLS handshake: .+; check DOCKER_CERT_PATH \\(ca.pem, cert.pem, key.pem\\) and DOCKER_TLS_VERIFY$`,
      ),
    );
  });

  test('over ssh, speaking HTTP through `docker system dial-stdio` as the docker CLI does', async () => {
    // Stands in for ssh: what it would run on the far host, run here against this engine.
    const ssh = join(scratch, 'ssh');
    writeFileSync(
      ssh,
      `#!/bin/sh\nprintf '%s\\n' "$@" >> ${scratch}/ssh-args\nexec /usr/bin/docker -H ${engine.host} system dial-stdio\n`,
    );
    chmodSync(ssh, 0o755);
    const runtime = new DockerRuntime({ kind: 'docker', host: 'ssh://ops@build-1:2222', ssh });
    expect(await runtime.problem()).toBeNull();
    expect(await runEcho(runtime, 'over-ssh')).toBe('over-ssh\n');
    const first = readFileSync(join(scratch, 'ssh-args'), 'utf8').split('\n').slice(0, 11);
    expect(first).toEqual([
      '-o',
      'BatchMode=yes',
      '-l',
      'ops',
      '-p',
      '2222',
      '--',
      'build-1',
      'docker',
      'system',
      'dial-stdio',
    ]);
  });
});
