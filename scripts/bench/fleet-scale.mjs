// The scale rows of `npm run bench` (issue 25 points 3 and 5): the server's own CPU per create_agent, and
// list_agents and the server's memory with 1000 idle agents.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRepo, quantile, startBenchFleet } from './bench-fleet.mjs';
import { rssMiB } from './processes.mjs';
import { callTool } from './tool-call.mjs';

const CREATES = Number(process.env.BENCH_SCALE_CREATES ?? 20);
const IDLE_AGENTS = Number(process.env.BENCH_SCALE_AGENTS ?? 1000);
const LIST_CALLS = 200;
/** Linux's clock tick, in which /proc/<pid>/stat counts CPU time (USER_HZ is 100 on every Linux of note). */
const TICK_MS = 10;

/** The process's own CPU time in ms, all its threads (libuv's pool too), none of its children's. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** A git project with a committed file, a plain folder, and a role whose task prints a line and ends. */
function writeFleet(root) {
  const { repo, git } = benchRepo(root);
  const plain = join(root, 'plain');
  mkdirSync(plain);
  // As a person's repository has one: each agent's repository gets a copy.
  git('config', 'user.name', 'bench');
  git('config', 'user.email', 'bench@localhost');
  writeFileSync(join(repo, 'README'), 'bench\n');
  git('add', 'README');
  git('commit', '-q', '-m', 'readme');
  const roles = {
    quick: {
      command: ['sh', '-c', 'echo done', 'quick', '{task}'],
      task_is_operand: true,
      description: 'prints one line',
      sandbox: false,
    },
  };
  const projects = { repo: { path: repo, description: 'bench' }, plain: { path: plain, description: 'bench' } };
  const configFile = join(root, 'scale-fleet.json');
  writeFileSync(configFile, JSON.stringify({ projects, roles }));
  return { configFile, plain };
}

/**
 * Idle agents as a server leaves them in its data dir (agents/<name>.json, tasks/<name>/<task>.txt), each with one
 * completed task: writing them takes a second, creating them through create_agent some minutes.
 */
function plantIdleAgents(dataDir, plain, count) {
  for (const dir of ['agents', 'tasks', 'logs', 'worktrees']) mkdirSync(join(dataDir, dir), { recursive: true });
  const at = new Date().toISOString();
  const text = `Look at the module and tidy what needs it. ${'Keep every test passing. '.repeat(12)}`;
  for (let i = 0; i < count; i += 1) {
    const name = `idle-${String(i).padStart(4, '0')}`;
    const id = randomUUID();
    mkdirSync(join(dataDir, 'tasks', name));
    writeFileSync(join(dataDir, 'tasks', name, `${id}.txt`), text);
    const task = {
      id,
      agent: name,
      description: `${text.slice(0, 200)}…`,
      description_file: `tasks/${name}/${id}.txt`,
      status: 'completed',
      outcome: 'succeeded',
      reason: null,
      exit_code: 0,
      started_by: 'bench',
      created_at: at,
      started_at: at,
      ended_at: at,
      duration_ms: 1000,
      fresh_conversation: false,
      log_lines: 3,
      usage: null,
    };
    const agent = {
      name,
      project: 'plain',
      role: 'quick',
      backend: 'local',
      status: 'idle',
      created_by: 'bench',
      status_reason: null,
      workdir: plain,
      branch: null,
      base: null,
      current_task_id: null,
      created_at: at,
      updated_at: at,
    };
    const record = { version: 1, agent, tasks: [task], git: null, process: null, setup_pending: false };
    writeFileSync(join(dataDir, 'agents', `${name}.json`), JSON.stringify(record));
  }
}

function startFleet({ box, cli, root, configFile, dataDir }) {
  const env = { FLEET_MCP_MAX_AGENTS: String(IDLE_AGENTS + CREATES + 10) };
  return startBenchFleet({ box, cli, configFile, dataDir: dataDir ?? join(root, 'data'), env });
}

async function untilSettled(server, name) {
  for (;;) {
    const { agent } = await callTool(server, 'wait_for_agent', { name, timeout_seconds: 30 });
    if (agent.status !== 'starting' && agent.status !== 'pending' && agent.status !== 'busy') return agent;
  }
}

/** create_agent on the git project, one at a time: the server's CPU during the call, and until the task has ended. */
async function measureCreates(server) {
  for (let i = 0; i < 3; i += 1) {
    await callTool(server, 'create_agent', { name: `warm-${i}`, project: 'repo', role: 'quick', task: 'go' });
    await untilSettled(server, `warm-${i}`);
  }
  let callMs = 0;
  let wholeMs = 0;
  const wall = [];
  for (let i = 0; i < CREATES; i += 1) {
    const name = `made-${i}`;
    const before = cpuMs(server.pid);
    const start = performance.now();
    await callTool(server, 'create_agent', { name, project: 'repo', role: 'quick', task: 'go' });
    wall.push(performance.now() - start);
    callMs += cpuMs(server.pid) - before;
    const agent = await untilSettled(server, name);
    if (agent.status !== 'idle') throw new Error(`${name} ended ${agent.status}: ${agent.status_reason}`);
    wholeMs += cpuMs(server.pid) - before;
  }
  return { perCall: callMs / CREATES, perTask: wholeMs / CREATES, wallP50: quantile(wall, 0.5) };
}

/**
 * list_agents' default page, one call at a time, each after a cheap call (list_agent_projects) whose latency says
 * what any call costs on this machine now; then every agent, page after page of 500.
 */
async function measureListing(server) {
  const latencies = [];
  const cheap = [];
  for (let i = 0; i < LIST_CALLS; i += 1) {
    let at = performance.now();
    await callTool(server, 'list_agent_projects', {});
    cheap.push(performance.now() - at);
    at = performance.now();
    const page = await callTool(server, 'list_agents', {});
    latencies.push(performance.now() - at);
    if (page.total_count !== IDLE_AGENTS) throw new Error(`list_agents counted ${page.total_count} agents`);
  }
  const start = performance.now();
  // A build before paging (BENCH_BASELINE) answers every agent at once, and takes no page_size.
  const first = await callTool(server, 'list_agents', {});
  const paged = 'next_cursor' in first;
  let seen = paged ? 0 : first.agents.length;
  let cursor = null;
  while (paged) {
    const page = await callTool(server, 'list_agents', { page_size: 500, ...(cursor ? { cursor } : {}) });
    seen += page.agents.length;
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  if (seen !== IDLE_AGENTS) throw new Error(`paging through list_agents saw ${seen} agents`);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    cheapP50: quantile(cheap, 0.5),
    allMs: performance.now() - start,
  };
}

/** Both scenarios, each on its own fresh server of `cli`. */
export async function measureScale({ box, cli }) {
  const root = mkdtempSync(join(box.root, 'scale-'));
  const { configFile, plain } = writeFleet(root);
  const creating = await startFleet({ box, cli, root, configFile });
  let creates;
  try {
    creates = await measureCreates(creating);
  } finally {
    await creating.stop();
  }
  const dataDir = join(root, 'idle-data');
  plantIdleAgents(dataDir, plain, IDLE_AGENTS);
  const idle = await startFleet({ box, cli, root, configFile, dataDir });
  try {
    const rssBefore = rssMiB(idle.pid);
    const listing = await measureListing(idle);
    return { creates, listing, rssBefore, rssAfter: rssMiB(idle.pid), startMs: idle.startMs };
  } finally {
    await idle.stop();
  }
}

/** The rows, as markdown, in the form BENCHMARKS.md quotes them. */
export function scaleReport(label, r) {
  const ms = (value) => value.toFixed(1);
  return [
    `Scale (${label}): the server's own CPU (utime + stime of its process from /proc, its children's not counted) per \`create_agent\` of an agent on a git project whose task prints one line (sandbox off), mean of ${CREATES} after 3 to warm up; then a server started on ${IDLE_AGENTS} idle agents (each with one completed task), written to its data dir beforehand.`,
    '',
    '| figure | value | target |',
    '| --- | ---: | --- |',
    `| server CPU per create_agent call, ms | ${ms(r.creates.perCall)} | at most 40 |`,
    `| server CPU per create_agent until its task has ended, ms | ${ms(r.creates.perTask)} | |`,
    `| create_agent wall time p50, ms | ${ms(r.creates.wallP50)} | |`,
    `| start of a server on ${IDLE_AGENTS} agents until it listens, ms | ${ms(r.startMs)} | |`,
    `| list_agents (default page of 50) p50 over ${LIST_CALLS} calls, ms | ${ms(r.listing.p50)} | at most 10 |`,
    `| list_agents p99, ms | ${ms(r.listing.p99)} | |`,
    `| list_agent_projects (a cheap call) p50, interleaved, ms | ${ms(r.listing.cheapP50)} | |`,
    `| all ${IDLE_AGENTS} agents, list_agents pages of 500, ms | ${ms(r.listing.allMs)} | |`,
    `| server RSS with ${IDLE_AGENTS} idle agents, MiB (after start / after the calls) | ${ms(r.rssBefore)} / ${ms(r.rssAfter)} | at most 200 |`,
  ];
}
