// npm run bench:backends: per backend (local, local in bwrap, Docker, Podman, Swarm), the time from create_agent to
// an agent's first output line and the memory each running agent costs, through the real server. See BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, platform, release } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ENGINE_BINARIES,
  FAKE_IMAGE,
  HOST_USR,
  importFakeImage,
  initSwarm,
  missingEngine,
  startDockerd,
  startPodman,
} from '../engines.mjs';
import {
  containerMemory,
  descendants,
  fleetContainers,
  fleetServices,
  memoryOf,
  memoryOfAll,
  processKind,
  removeFleetObjects,
} from './agent-memory.mjs';
import { benchSandbox, startTarget } from './processes.mjs';
import { callTool } from './tool-call.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/fleet-mcp.js');
const AGENTS = Number(process.env.BENCH_AGENTS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WANTED = (process.env.BENCH_BACKENDS ?? 'local,bwrap,docker,podman,swarm').split(',').map((key) => key.trim());
/** How often each agent's log is read while waiting for its first line; the server itself reads task output every 200 ms. */
const POLL_MS = 50;
const FIRST_LINE = 'bench-agent-ready';
/** The agent: one line, then it sleeps, so it is running while its memory is read. */
const AGENT_COMMAND = ['sh', '-c', `echo ${FIRST_LINE}; exec sleep 3600`, 'bench-agent', '{task}'];

/** @typedef {{ key: string, name: string, engine?: 'docker' | 'podman' | 'swarm', missing: string | null }} Backend */

const KEYS = ['local', 'bwrap', 'docker', 'podman', 'swarm'];

/** @returns {Backend[]} */
function backends() {
  const all = [
    { key: 'local', name: 'local, unsandboxed', missing: null },
    {
      key: 'bwrap',
      name: 'local, bwrap sandbox',
      missing: existsSync('/usr/bin/bwrap') ? null : 'bwrap not installed: apt-get install -y bubblewrap passt',
    },
    ...['docker', 'podman', 'swarm'].map((engine) => ({
      key: engine,
      name: engine,
      engine,
      missing: missingEngine(ENGINE_BINARIES[engine]),
    })),
  ];
  return all.filter((backend) => WANTED.includes(backend.key));
}

/** The engine's daemon, the fake image in it, and for swarm a one-node swarm. */
async function startEngine(backend) {
  if (backend.engine === 'podman') {
    const engine = await startPodman();
    importFakeImage(engine, 'podman');
    return engine;
  }
  const engine = await startDockerd();
  importFakeImage(engine, 'docker');
  if (backend.engine === 'swarm') await initSwarm(engine);
  return engine;
}

/** A git project, and a fleet config with one role per backend, each running the agent there. */
function writeFleet(box, started) {
  const repo = join(box.root, 'repo');
  mkdirSync(repo);
  const git = (...args) => execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '--allow-empty', '-m', 'start');
  const roles = {};
  const engineBackends = {};
  for (const backend of started) {
    const role = { command: AGENT_COMMAND, task_is_operand: true, description: backend.name };
    if (backend.engine) {
      engineBackends[backend.key] = {
        engine: backend.engine,
        host: backend.daemon.host,
        image: FAKE_IMAGE,
        network: 'host',
        mounts: HOST_USR,
      };
      roles[`bench-${backend.key}`] = { ...role, backend: backend.key };
    } else {
      roles[`bench-${backend.key}`] = { ...role, sandbox: backend.key === 'bwrap' };
    }
  }
  const configFile = join(box.root, 'fleet.json');
  writeFileSync(
    configFile,
    JSON.stringify({ projects: { repo: { path: repo, description: 'bench' } }, roles, backends: engineBackends }),
  );
  return configFile;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Creates an agent and reads its log until its first line shows; times from the create_agent call. */
async function createAndWait(server, backend, name) {
  const start = performance.now();
  await callTool(server, 'create_agent', { name, project: 'repo', role: `bench-${backend.key}`, task: 'run' });
  const answered = performance.now() - start;
  for (;;) {
    const log = await callTool(server, 'show_agent_log', { name });
    if (log.lines.some((line) => line.text.includes(FIRST_LINE))) return { answered, first: performance.now() - start };
    if (performance.now() - start > 180_000) {
      throw new Error(
        `${name} on ${backend.name} printed nothing in 180 s; its log: ${log.lines.map((line) => line.text).join(' | ')}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** PSS and RSS per agent of each kind of host process (supervisor, sh, ...), in MiB. */
function byKind(pids) {
  const kinds = new Map();
  for (const pid of pids) {
    const kind = processKind(pid);
    kinds.set(kind, [...(kinds.get(kind) ?? []), pid]);
  }
  return new Map(
    [...kinds].map(([kind, group]) => {
      const memory = memoryOfAll(group);
      return [kind, { count: group.length / AGENTS, pss: memory.pss / AGENTS, rss: memory.rss / AGENTS }];
    }),
  );
}

/** The engine daemons' own processes: the daemon and its children, less the containers and their monitors. */
function daemonPids(daemon, exclude) {
  return [daemon.pid, ...descendants(daemon.pid)].filter((pid) => !exclude.has(pid));
}

/** What the engine pays per container, and the processes that are the containers' (to keep out of the daemon's). */
async function engineMemory(daemon) {
  const containers = await Promise.all(
    (await fleetContainers(daemon.socket)).map((id) => containerMemory(daemon.socket, id)),
  );
  const monitors = containers.map((container) => container.monitor).filter((pid) => pid !== undefined);
  const theirs = new Set(monitors.flatMap((pid) => [pid, ...descendants(pid)]));
  return {
    count: containers.length,
    usage: containers.reduce((sum, c) => sum + c.usage, 0),
    working: containers.reduce((sum, c) => sum + c.working, 0),
    monitors: memoryOfAll(monitors).pss,
    daemon: memoryOfAll(daemonPids(daemon, theirs)).pss,
  };
}

/**
 * One batch: a fresh server with its own data dir, AGENTS agents created at once on the backend, their first lines
 * waited for, memory read while all run, then the server stopped (it stops its agents) and their leftovers waited out.
 */
async function batch({ box, configFile, token, backend, round, cleanups }) {
  const env = {
    ...box.env,
    FLEET_MCP_AUTH_TOKEN: token,
    FLEET_MCP_CONFIG: configFile,
    FLEET_MCP_DATA_DIR: join(box.root, `data-${backend.key}-${round}`),
    FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
    // Every agent runs at once, also past the default of 8, so the memory read is that of BENCH_AGENTS running agents.
    FLEET_MCP_MAX_BUSY: String(AGENTS),
  };
  const target = await startTarget({
    command: process.execPath,
    args: [CLI, 'serve', '--port', '0', '--auth'],
    cwd: box.cwd,
    env,
  });
  const server = { ...target, token };
  let agentPids = [];
  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      agentPids = [...new Set([...agentPids, ...descendants(server.pid)])];
      await server.stop();
      await waitGone(backend, agentPids);
    })();
    return stopped;
  };
  cleanups.push(stop);
  try {
    await callTool(server, 'list_agent_projects');
    const serverBefore = memoryOf(server.pid).rss;
    const daemonBefore = backend.daemon ? memoryOfAll(daemonPids(backend.daemon, new Set())).pss : 0;
    const names = Array.from({ length: AGENTS }, (_, i) => `${backend.key}-${round}-${i}`);
    const times = await Promise.all(names.map((name) => createAndWait(server, backend, name)));
    // The spawn helper is the server's, one for all agents, not a process of any of them.
    agentPids = descendants(server.pid).filter((pid) => processKind(pid) !== 'spawn helper');
    const host = memoryOfAll(agentPids);
    const memory = {
      hostPss: host.pss / AGENTS,
      hostRss: host.rss / AGENTS,
      processes: agentPids.length / AGENTS,
      serverGrowth: (memoryOf(server.pid).rss - serverBefore) / AGENTS,
      kinds: byKind(agentPids),
    };
    if (backend.daemon) {
      const engine = await engineMemory(backend.daemon);
      if (engine.count !== AGENTS)
        throw new Error(`${backend.name} holds ${engine.count} task containers for ${AGENTS} running agents`);
      Object.assign(memory, {
        usage: engine.usage / AGENTS,
        working: engine.working / AGENTS,
        monitor: engine.monitors / AGENTS,
        daemonGrowth: (engine.daemon - daemonBefore) / AGENTS,
      });
    }
    return { times, memory };
  } finally {
    if (cleanups.includes(stop)) cleanups.splice(cleanups.indexOf(stop), 1);
    await stop();
  }
}

/**
 * After the server stopped its agents: waits for their processes and task containers to go, and ends what is left
 * after a minute, so the next batch starts from nothing.
 */
async function waitGone(backend, pids) {
  const alive = () => pids.filter((pid) => existsSync(`/proc/${pid}`));
  const held = async () => {
    if (!backend.daemon) return 0;
    const services = backend.engine === 'swarm' ? await fleetServices(backend.daemon.socket) : [];
    return (await fleetContainers(backend.daemon.socket)).length + services.length;
  };
  const deadline = Date.now() + 60_000;
  while ((alive().length > 0 || (await held()) > 0) && Date.now() < deadline) await sleep(200);
  for (const pid of alive()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  if (backend.daemon) await removeFleetObjects(backend.daemon.socket, backend.engine === 'swarm');
}

const quantile = (values, q) =>
  [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(q * values.length))];
const median = (values) => quantile(values, 0.5);

function commandLine() {
  const vars = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value}`);
  return [...vars, 'npm run bench:backends'].join(' ');
}

const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

function report({ started, skipped, results, loadAtStart }) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const fixed = (value, digits = 1) => (value === undefined ? '' : value.toFixed(digits));
  const local = results.get('local');
  const perRoundRatio = (key) => {
    if (!local || key === 'local') return '';
    const ratios = results
      .get(key)
      .map((run, round) => median(run.times.map((t) => t.first)) / median(local[round].times.map((t) => t.first)));
    return `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
  };
  const cpu = cpus();
  const lines = [
    `Run of ${new Date().toISOString()}: \`${commandLine()}\``,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${platform()} ${release()}, Node ${process.version}. Load average (1, 5, 15 min) at the start ${loadAtStart}, at the end ${loadAverage()}.`,
    `${AGENTS} agents created at once per backend, ${ROUNDS} rounds, backends in turn, starting one later each round; logs read every ${POLL_MS} ms.`,
    ...started.filter((b) => b.daemon).map((b) => `${b.name}: private daemon answered after ${b.daemon.startMs} ms.`),
    ...skipped.map((line) => `Skipped: ${line}`),
    '',
    row([
      'backend',
      'create_agent answered, median ms',
      'first output, median ms',
      'max ms',
      'median / local in the same round (range)',
    ]),
    row(['---', '---:', '---:', '---:', '---:']),
    ...started.map((b) => {
      const times = results.get(b.key).flatMap((run) => run.times);
      const first = times.map((t) => t.first);
      return row([
        b.name,
        fixed(median(times.map((t) => t.answered)), 0),
        fixed(median(first), 0),
        fixed(Math.max(...first), 0),
        perRoundRatio(b.key),
      ]);
    }),
    '',
    'Memory per running agent, MiB, median over the rounds:',
    '',
    row([
      'backend',
      'host PSS',
      'host RSS',
      'host processes',
      'server RSS growth',
      'container usage',
      'container usage − inactive file',
      'container monitor PSS',
      'engine daemons PSS growth',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...started.map((b) => {
      const runs = results.get(b.key).map((run) => run.memory);
      const m = (field, digits) =>
        fixed(runs[0][field] === undefined ? undefined : median(runs.map((run) => run[field])), digits);
      return row([
        b.name,
        m('hostPss'),
        m('hostRss'),
        m('processes', 0),
        m('serverGrowth'),
        m('usage'),
        m('working'),
        m('monitor'),
        m('daemonGrowth'),
      ]);
    }),
    '',
    'Host processes per agent in the last round, PSS / RSS MiB:',
    '',
    ...started.map((b) => {
      const kinds = [...results.get(b.key).at(-1).memory.kinds].map(
        ([kind, k]) => `${k.count === 1 ? '' : `${k.count} × `}${kind} ${k.pss.toFixed(1)} / ${k.rss.toFixed(1)}`,
      );
      return `- ${b.name}: ${kinds.join(', ')}`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  const unknown = WANTED.filter((key) => !KEYS.includes(key));
  if (unknown.length > 0 || !(AGENTS >= 1) || !(ROUNDS >= 1)) {
    const why =
      unknown.length > 0
        ? `BENCH_BACKENDS names no backend ${unknown.join(', ')}: pick from ${KEYS.join(',')}`
        : 'BENCH_AGENTS and BENCH_ROUNDS must be whole numbers of at least 1';
    process.stderr.write(`bench:backends: ${why}\n`);
    process.exit(2);
  }
  const box = benchSandbox('fleet-mcp-bench-backends-');
  const token = randomBytes(32).toString('base64url');
  const loadAtStart = loadAverage();
  const cleanups = [];
  // One clean-up, whether a signal or the end of main asks first: main's error is thrown only once it is done.
  let cleaning;
  const cleanUp = () => {
    cleaning ??= (async () => {
      for (const cleanup of cleanups.splice(0).reverse())
        await cleanup().catch((error) => process.stderr.write(`cleanup: ${error.message}\n`));
      rmSync(box.root, { recursive: true, force: true });
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void cleanUp().then(() => process.exit(130)));
  try {
    const started = [];
    const skipped = [];
    for (const backend of backends()) {
      if (backend.missing) {
        skipped.push(`${backend.name}: ${backend.missing}`);
        continue;
      }
      if (backend.engine) {
        try {
          backend.daemon = await startEngine(backend);
        } catch (error) {
          skipped.push(`${backend.name}: ${error.message}`);
          continue;
        }
        cleanups.push(() => backend.daemon.stop());
        // A signal that came while the daemon started has cleaned up already, without it.
        if (cleaning) await backend.daemon.stop();
      }
      started.push(backend);
    }
    for (const line of skipped) process.stderr.write(`bench:backends skips ${line}\n`);
    if (started.length === 0) throw new Error(`no backend to measure (BENCH_BACKENDS=${WANTED.join(',')})`);
    const configFile = writeFleet(box, started);
    const results = new Map(started.map((b) => [b.key, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = started.map((_, i) => started[(i + round) % started.length]);
      for (const backend of order) {
        process.stderr.write(`round ${round + 1}/${ROUNDS}: ${backend.name}\n`);
        results.get(backend.key)[round] = await batch({ box, configFile, token, backend, round, cleanups });
      }
    }
    report({ started, skipped, results, loadAtStart });
  } finally {
    await cleanUp();
  }
}

await main();
