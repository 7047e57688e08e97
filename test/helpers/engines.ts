import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';

/** What CI installs for these tests (Debian 12): catatonit is Podman's init for `--init`, openssl makes the TLS test's certificates. */
export const ENGINES_APT_LINE = 'apt-get install -y docker.io podman catatonit openssl';

/** The fake agent's image: no files but its own, the host's /usr (sh, git, node) mounted read-only at run time. */
export const FAKE_IMAGE = 'fleet-fake-agent:test';
export const HOST_USR = [{ source: '/usr', target: '/usr' }];

export interface PrivateEngine {
  /** As DOCKER_HOST has it. */
  host: string;
  socket: string;
  /** The daemon's own folder under /var/tmp, removed with it. */
  dir: string;
  /** Daemon start-up until its API answered, in ms. */
  startMs: number;
  stop(): Promise<void>;
}

/** Null when the binaries (names on the usual paths, or absolute paths) are there; else the line that installs them. */
export function missingEngine(binaries: string[]): string | null {
  const found = (name: string) => (name.startsWith('/') ? existsSync(name) : ['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((dir) => existsSync(join(dir, name))));
  const missing = binaries.filter((name) => !found(name));
  return missing.length === 0 ? null : `${missing.join(', ')} not installed: ${ENGINES_APT_LINE}`;
}

/**
 * A private dockerd whose networking stays on this machine: no bridge, no NAT, no iptables rules, its own data and
 * exec roots under /var/tmp and its own containerd. Swarm is told to prefer local images so a service never reaches
 * for a registry even if given a tag.
 */
export async function startDockerd(options: { tls?: TlsListener } = {}): Promise<PrivateEngine> {
  const dir = mkdtempSync('/var/tmp/fleet-dockerd-');
  const socket = join(dir, 'docker.sock');
  const tls = options.tls
    ? [
        '--tlsverify', `--tlscacert=${join(options.tls.certs, 'ca.pem')}`, `--tlscert=${join(options.tls.certs, 'server-cert.pem')}`,
        `--tlskey=${join(options.tls.certs, 'server-key.pem')}`, `--host=tcp://127.0.0.1:${options.tls.port}`,
      ]
    : [];
  const child = spawn(
    'dockerd',
    [
      ...tls,
      '--bridge=none', '--iptables=false', '--ip-forward=false', '--ip-masq=false',
      `--host=unix://${socket}`, `--data-root=${join(dir, 'data')}`, `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`, '--log-level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' } },
  );
  return startDaemon(child, dir, socket, 'dockerd');
}

/**
 * `podman system service` as root with its own storage, run and network folders under /var/tmp, so the host's
 * containers and images are never touched; no registries, so nothing can be pulled. Podman raises a container's
 * nofile and nproc limits to its maximum, which runc may not set under this process's hard limits: the container
 * defaults here are those limits.
 */
export async function startPodman(): Promise<PrivateEngine> {
  const dir = mkdtempSync('/var/tmp/fleet-podman-');
  const socket = join(dir, 'podman.sock');
  writeFileSync(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  writeFileSync(
    join(dir, 'containers.conf'),
    [
      '[containers]',
      `default_ulimits = ["nofile=${hardLimit('Max open files')}:${hardLimit('Max open files')}", "nproc=${Math.min(32768, hardLimit('Max processes'))}:${Math.min(32768, hardLimit('Max processes'))}"]`,
      'log_driver = "k8s-file"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, 'events.log')}"`,
      '',
    ].join('\n'),
  );
  // Its own folder as working directory: conmon writes a container's OOM marker ("oom") into its working directory.
  const child = spawn('podman', [...podmanFlags(dir), 'system', 'service', '--time=0', `unix://${socket}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: podmanEnv(dir),
  });
  const engine = await startDaemon(child, dir, socket, 'podman');
  return {
    ...engine,
    // Containers live on in their conmon processes after the service ends: removed first, through the same storage.
    stop: async () => {
      try {
        execFileSync('podman', [...podmanFlags(dir), 'rm', '--all', '--force', '--time=0'], { env: podmanEnv(dir), stdio: 'ignore' });
      } catch {
        // Nothing to remove, or the storage is already gone.
      }
      await engine.stop();
    },
  };
}

export interface TlsListener {
  port: number;
  /** A folder from makeTlsCerts. */
  certs: string;
}

/**
 * A CA, a server certificate for 127.0.0.1 and a client certificate, in one folder: ca.pem, cert.pem and key.pem as
 * DOCKER_CERT_PATH has them for the client, server-cert.pem and server-key.pem for dockerd.
 */
export function makeTlsCerts(dir: string): string {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...key, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=fleet-test-ca']);
  const sign = (name: string, cn: string, ext: string, cert: string, keyFile: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    run(['req', ...key, '-keyout', keyFile, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', `${name}.ext`]);
  };
  sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n', 'server-cert.pem', 'server-key.pem');
  sign('client', 'fleet-test-client', 'extendedKeyUsage=clientAuth\n', 'cert.pem', 'key.pem');
  return dir;
}

/** Makes the engine a one-node swarm manager on loopback ports nobody else uses. */
export async function initSwarm(engine: PrivateEngine): Promise<void> {
  const client = new EngineClient({ host: engine.host });
  const listenPort = await freePort();
  await client.json('POST', '/swarm/init', {
    body: { ListenAddr: `127.0.0.1:${listenPort}`, AdvertiseAddr: `127.0.0.1:${listenPort}`, DataPathPort: await freePort() },
  });
}

/** Imports the fake agent's image (a rootfs of a few folders and links into /usr) into the engine. */
export function importFakeImage(engine: PrivateEngine, kind: 'docker' | 'podman'): void {
  const tar = fakeImageTar(engine.dir);
  if (kind === 'docker') execFileSync('docker', ['-H', engine.host, 'import', tar, FAKE_IMAGE], { stdio: 'ignore' });
  else execFileSync('podman', [...podmanFlags(engine.dir), 'import', tar, FAKE_IMAGE], { stdio: 'ignore', env: podmanEnv(engine.dir) });
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function podmanFlags(dir: string): string[] {
  return [`--root=${join(dir, 'storage')}`, `--runroot=${join(dir, 'run')}`, `--tmpdir=${join(dir, 'tmp')}`, `--network-config-dir=${join(dir, 'networks')}`];
}

function podmanEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf') };
}

function hardLimit(name: string): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((entry) => entry.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard);
}

function fakeImageTar(dir: string): string {
  const root = join(dir, 'image-root');
  for (const folder of ['etc', 'tmp', 'work', 'root', 'usr']) mkdirSync(join(root, folder), { recursive: true });
  // /sbin stays a folder: Docker mounts its init at /sbin/docker-init, which a link into the read-only /usr would refuse.
  mkdirSync(join(root, 'sbin'));
  for (const link of ['bin', 'lib', 'lib64']) symlinkSync(`usr/${link}`, join(root, link));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  execFileSync('chmod', ['1777', join(root, 'tmp')]);
  const tar = join(dir, 'image.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  return tar;
}

async function startDaemon(child: ChildProcess, dir: string, socket: string, name: string): Promise<PrivateEngine> {
  const started = Date.now();
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const host = `unix://${socket}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const client = new EngineClient({ host });
  // The API answering is the event waited on; the daemon's exit ends the wait with its stderr.
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${name} exited while starting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (existsSync(socket)) {
      try {
        await client.json('GET', '/_ping', { timeoutMs: 5000 });
        return { host, socket, dir, startMs: Date.now() - started, stop };
      } catch {
        // Socket made, API not ready yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (Date.now() - started > 60_000) {
      await stop();
      throw new Error(`${name} did not answer on ${socket} within 60 s: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
  }
}

/** The daemons leave overlay, shm and netns mounts behind when killed; the folder cannot go while they stay. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Gone with a parent already.
    }
  }
}
