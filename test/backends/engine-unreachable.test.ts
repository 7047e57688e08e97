import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RuntimeError, type RemoteTaskSpec } from '../../src/fleet/backends/remote/agent-runtime.js';
import { DockerRuntime } from '../../src/fleet/backends/container/docker-runtime.js';
import { EngineAddressError, parseEngineAddress } from '../../src/fleet/backends/container/engine-address.js';
import { SwarmRuntime } from '../../src/fleet/backends/container/swarm-runtime.js';
import { freePort } from '../helpers/engines.js';

const dir = mkdtempSync('/var/tmp/fleet-unreachable-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec: RemoteTaskSpec = {
  labels: { server: 's', agent: 'a', task: 't' },
  image: 'fleet-fake-agent:test',
  command: ['true'],
  env: {},
  secrets: {},
  limits: { cpus: null, memoryBytes: null, pids: null },
  network: 'none',
  readOnlyMounts: [],
};

async function startError(start: Promise<unknown>): Promise<string> {
  const error = await start.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return (error as Error).message;
}

describe('an engine that does not answer gets one line with the address, the cause and the fix', () => {
  test('a socket path with nothing behind it', async () => {
    const socket = join(dir, 'nothing.sock');
    const runtime = new DockerRuntime({ kind: 'docker', host: `unix://${socket}` });
    const line = `docker: the engine at unix://${socket} does not answer: no socket at ${socket}; start the engine (dockerd, or \`podman system service\`) or set DOCKER_HOST to its socket`;
    expect(await runtime.problem()).toBe(line);
    expect(await startError(runtime.start(spec))).toBe(line);
  });

  test('a tcp port nobody listens on', async () => {
    const port = await freePort();
    const runtime = new SwarmRuntime({ host: `tcp://127.0.0.1:${port}`, tlsEnv: {} });
    const line = `swarm: the engine at tcp://127.0.0.1:${port} does not answer: nothing listens on 127.0.0.1:${port}; start the engine with a tcp listener there or fix DOCKER_HOST`;
    expect(await runtime.problem()).toBe(line);
    expect(await startError(runtime.start({ ...spec, network: 'host' }))).toBe(line);
    await expect(runtime.find('s')).rejects.toThrow(line);
  });

  test('ssh that cannot log in', async () => {
    const ssh = join(dir, 'ssh-refused');
    writeFileSync(ssh, '#!/bin/sh\necho "ops@build-1: Permission denied (publickey)." >&2\nexit 255\n');
    chmodSync(ssh, 0o755);
    const runtime = new DockerRuntime({ kind: 'podman', host: 'ssh://ops@build-1:2222', ssh });
    expect(await runtime.problem()).toBe(
      'podman: the engine at ssh://ops@build-1:2222 does not answer over ssh: ssh exited with 255: ops@build-1: Permission denied (publickey).; check that `ssh ops@build-1 docker version` works without a password prompt',
    );
  });

  test('TLS asked for without certificates, and an address of no known kind', () => {
    expect(() =>
      parseEngineAddress('tcp://127.0.0.1:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'no-certs') }),
    ).toThrow(
      new EngineAddressError(
        `engine at tcp://127.0.0.1:2376 needs TLS but ${join(dir, 'no-certs', 'ca.pem')} cannot be read (ENOENT): set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem`,
      ),
    );
    expect(() => parseEngineAddress('npipe:////./pipe/docker_engine')).toThrow(
      'engine address "npipe:////./pipe/docker_engine" has an unknown scheme: use unix:///path/to/socket, tcp://host:port or ssh://user@host',
    );
  });
});
