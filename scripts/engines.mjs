// Private container engines on this machine, for the engine tests (test/helpers/engines.ts) and
// `npm run bench:backends`: a dockerd or a Podman service in a folder of its own, networking that stays on this
// machine, and the fake agent's image imported without a registry.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** What CI installs for these tests (Debian 12): catatonit is Podman's init for `--init`, openssl makes the TLS test's certificates. */
export const ENGINES_APT_LINE = 'apt-get install -y docker.io podman catatonit openssl';

/** The fake agent's image: no files but its own, the host's /usr (sh, git, node) mounted read-only at run time. */
export const FAKE_IMAGE = 'fleet-fake-agent:test';
export const HOST_USR = [{ source: '/usr', target: '/usr' }];

/** The binaries each engine needs on this machine. */
export const ENGINE_BINARIES = {
  docker: ['dockerd', 'docker', 'containerd', 'runc'],
  podman: ['podman', 'catatonit'],
  swarm: ['dockerd', 'docker', 'containerd', 'runc'],
};

/** Null when the binaries (names on the usual paths, or absolute paths) are there; else the line that installs them. */
export function missingEngine(binaries) {
  const found = (name) =>
    name.startsWith('/')
      ? existsSync(name)
      : ['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((dir) => existsSync(join(dir, name)));
  const missing = binaries.filter((name) => !found(name));
  return missing.length === 0 ? null : `${missing.join(', ')} not installed: ${ENGINES_APT_LINE}`;
}

/**
 * A private dockerd whose networking stays on this machine: no bridge, no NAT, no iptables rules, its own data and
 * exec roots under /var/tmp and its own containerd. Swarm is told to prefer local images so a service never reaches
 * for a registry even if given a tag.
 */
export async function startDockerd(options = {}) {
  const dir = mkdtempSync('/var/tmp/fleet-dockerd-');
  const socket = join(dir, 'docker.sock');
  const tls = options.tls
    ? [
        '--tlsverify',
        `--tlscacert=${join(options.tls.certs, 'ca.pem')}`,
        `--tlscert=${join(options.tls.certs, 'server-cert.pem')}`,
        `--tlskey=${join(options.tls.certs, 'server-key.pem')}`,
        `--host=tcp://127.0.0.1:${options.tls.port}`,
      ]
    : [];
  const child = spawn(
    'dockerd',
    [
      ...tls,
      '--bridge=none',
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      `--host=unix://${socket}`,
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`,
      '--log-level=warn',
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' },
    },
  );
  return startDaemon(child, dir, socket, 'dockerd');
}

/**
 * `podman system service` as root with its own storage, run and network folders under /var/tmp, so the host's
 * containers and images are never touched; no registries, so nothing can be pulled. Podman raises a container's
 * nofile and nproc limits to its maximum, which runc may not set under this process's hard limits: the container
 * defaults here are those limits.
 */
export async function startPodman() {
  const dir = mkdtempSync('/var/tmp/fleet-podman-');
  const socket = join(dir, 'podman.sock');
  writeFileSync(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  const nofile = hardLimit('Max open files');
  const nproc = Math.min(32768, hardLimit('Max processes'));
  writeFileSync(
    join(dir, 'containers.conf'),
    [
      '[containers]',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
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
        execFileSync('podman', [...podmanFlags(dir), 'rm', '--all', '--force', '--time=0'], {
          env: podmanEnv(dir),
          stdio: 'ignore',
        });
      } catch {
        // Nothing to remove, or the storage is already gone.
      }
      await engine.stop();
    },
  };
}

/** Makes the engine a one-node swarm manager on loopback ports nobody else uses. */
export async function initSwarm(engine) {
  const listenPort = await freePort();
  const answer = await engineRequest(engine.socket, 'POST', '/v1.41/swarm/init', {
    ListenAddr: `127.0.0.1:${listenPort}`,
    AdvertiseAddr: `127.0.0.1:${listenPort}`,
    DataPathPort: await freePort(),
  });
  if (answer.status !== 200) throw new Error(`swarm init answered ${answer.status}: ${answer.text}`);
}

/** Imports the fake agent's image (a rootfs of a few folders and links into /usr) into the engine. */
export function importFakeImage(engine, kind) {
  const tar = fakeImageTar(engine.dir);
  if (kind === 'docker') execFileSync('docker', ['-H', engine.host, 'import', tar, FAKE_IMAGE], { stdio: 'ignore' });
  else
    execFileSync('podman', [...podmanFlags(engine.dir), 'import', tar, FAKE_IMAGE], {
      stdio: 'ignore',
      env: podmanEnv(engine.dir),
    });
}

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** One request to an engine's API on its unix socket; the answer's status and text. */
export function engineRequest(socket, method, path, body, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        host: 'docker',
        headers: text === undefined ? {} : { 'Content-Type': 'application/json' },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} got no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(text);
  });
}

function podmanFlags(dir) {
  return [
    `--root=${join(dir, 'storage')}`,
    `--runroot=${join(dir, 'run')}`,
    `--tmpdir=${join(dir, 'tmp')}`,
    `--network-config-dir=${join(dir, 'networks')}`,
  ];
}

function podmanEnv(dir) {
  return {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
  };
}

function hardLimit(name) {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard);
}

function fakeImageTar(dir) {
  const root = join(dir, 'image-root');
  for (const folder of ['etc', 'tmp', 'work', 'root', 'usr']) mkdirSync(join(root, folder), { recursive: true });
  // /sbin stays a folder: Docker mounts its init at /sbin/docker-init, which a link into the read-only /usr would refuse.
  mkdirSync(join(root, 'sbin'));
  for (const link of ['bin', 'lib', 'lib64']) symlinkSync(`usr/${link}`, join(root, link));
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  execFileSync('chmod', ['1777', join(root, 'tmp')]);
  const tar = join(dir, 'image.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  return tar;
}

async function startDaemon(child, dir, socket, name) {
  const started = Date.now();
  let stderr = '';
  child.stderr?.on('data', (data) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const lastLines = () => stderr.trim().split('\n').slice(-3).join(' | ');
  // The API answering is the event waited on; the daemon's exit ends the wait with its stderr.
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${name} exited while starting: ${lastLines()}`);
    }
    if (existsSync(socket)) {
      try {
        const ping = await engineRequest(socket, 'GET', '/_ping', undefined, 5000);
        if (ping.status === 200)
          return { host: `unix://${socket}`, socket, dir, pid: child.pid, startMs: Date.now() - started, stop };
      } catch {
        // Socket made, API not ready yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (Date.now() - started > 60_000) {
      await stop();
      throw new Error(`${name} did not answer on ${socket} within 60 s: ${lastLines()}`);
    }
  }
}

/** The daemons leave overlay, shm and netns mounts behind when killed; the folder cannot go while they stay. */
function unmountUnder(dir) {
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
