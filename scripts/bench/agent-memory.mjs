// What a running agent costs in memory: its processes on this host from /proc, its container from the engine's API.
import { readdirSync, readFileSync } from 'node:fs';
import { engineRequest } from '../engines.mjs';

const LABEL = 'io.fleet-mcp.agent';

/** The parent of every process, from /proc/<pid>/stat. */
function parents() {
  const parentOf = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after its last ')' are state, then ppid.
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Ended while listed.
    }
  }
  return parentOf;
}

/** Every process below `root`, not `root` itself. */
export function descendants(root) {
  const parentOf = parents();
  const below = new Set();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (!below.has(pid) && (parent === root || below.has(parent))) {
        below.add(pid);
        grew = true;
      }
    }
  }
  return [...below];
}

export function parentOf(pid) {
  return parents().get(pid);
}

/** RSS and PSS in MiB, from /proc/<pid>/smaps_rollup; zero for a process that has ended. */
export function memoryOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kib('Rss') / 1024, pss: kib('Pss') / 1024 };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/**
 * What a process below the server is, for the breakdown: the task supervisor, the server's spawn helper, or its
 * program's name.
 */
export function processKind(pid) {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (args.some((arg) => /task-supervisor\.(cjs|sh)$/.test(arg))) return 'supervisor';
    if (args.includes('__spawn-helper')) return 'spawn helper';
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'ended';
  }
}

/** The sum of memoryOf over processes. */
export function memoryOfAll(pids) {
  return pids.map(memoryOf).reduce((sum, m) => ({ rss: sum.rss + m.rss, pss: sum.pss + m.pss }), { rss: 0, pss: 0 });
}

async function engineJson(socket, path) {
  const answer = await engineRequest(socket, 'GET', `/v1.41${path}`);
  if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return JSON.parse(answer.text);
}

/** Ids of the containers the fleet made on the engine (every task container carries the agent label). */
export async function fleetContainers(socket) {
  const filters = encodeURIComponent(JSON.stringify({ label: [LABEL] }));
  return (await engineJson(socket, `/containers/json?all=1&filters=${filters}`)).map((container) => container.Id);
}

/** Swarm services the fleet made. */
export async function fleetServices(socket) {
  const filters = encodeURIComponent(JSON.stringify({ label: [LABEL] }));
  return (await engineJson(socket, `/services?filters=${filters}`)).map((service) => service.ID);
}

/**
 * One container's memory as the engine counts it: its cgroup's usage, and that less inactive file cache, as
 * `docker stats` shows it. `monitor` is the process that holds the container for the engine (the parent of its
 * init: containerd-shim-runc-v2 for Docker, conmon for Podman).
 */
export async function containerMemory(socket, id) {
  const stats = await engineJson(socket, `/containers/${id}/stats?stream=false&one-shot=true`);
  const usage = stats.memory_stats?.usage ?? 0;
  const inactive = stats.memory_stats?.stats?.total_inactive_file ?? stats.memory_stats?.stats?.inactive_file ?? 0;
  const inspect = await engineJson(socket, `/containers/${id}/json`);
  const monitor = parentOf(inspect.State.Pid);
  return { usage: usage / 2 ** 20, working: (usage - inactive) / 2 ** 20, monitor };
}

/** Removes what the fleet left on an engine: used only after the server was given its chance to. */
export async function removeFleetObjects(socket, swarm) {
  if (swarm)
    for (const id of await fleetServices(socket)) await engineRequest(socket, 'DELETE', `/v1.41/services/${id}`);
  for (const id of await fleetContainers(socket))
    await engineRequest(socket, 'DELETE', `/v1.41/containers/${id}?force=1`);
}
