// The stall rows of `npm run bench` (issue 25): a cheap call's latency at idle and while 50 agents print 500 lines/s
// in all and one agent dumps 10 MB, the time of pages of that 10 MB log, and cheap calls while those pages are read.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MCP_BODY, mcpHeaders } from '../mcp-request.mjs';
import { benchRepo, quantile, startBenchFleet } from './bench-fleet.mjs';
import { callTool } from './tool-call.mjs';

export const CHATTY = Number(process.env.BENCH_STALL_AGENTS ?? 50);
const DUMP_BYTES = 10 * 1024 * 1024;
export const SAMPLE_SECONDS = Number(process.env.BENCH_STALL_SECONDS ?? 8);
/** Between cheap calls: a steady prober, not a load of its own. */
export const PROBE_GAP_MS = 5;
/** show_agent_log's default page size; BENCH_STALL_PAGE_SIZE sets another (at most 500). */
const PAGE_SIZE = Number(process.env.BENCH_STALL_PAGE_SIZE ?? 50);
const PAGE_REPEATS = 7;

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * A git project and two roles: a chatty agent (10 lines a second, in one burst) and one that dumps 10 MB once the
 * file `go` exists (two servers measured at once share it).
 */
export function writeFleet(root, go = join(root, 'dump-now')) {
  const { repo } = benchRepo(root);
  const line = 'dump line: the quick brown fox jumps over the lazy dog, again and again, until ten megabytes';
  const roles = {
    chatty: {
      command: [
        'sh',
        '-c',
        'while :; do printf "chatty %s line of steady output\\n" 1 2 3 4 5 6 7 8 9 10; sleep 1; done',
        'chatty',
        '{task}',
      ],
      task_is_operand: true,
      description: 'prints 10 lines a second',
      sandbox: false,
    },
    dump: {
      command: [
        'sh',
        '-c',
        `while [ ! -e "${go}" ]; do sleep 0.1; done; yes "${line}" | head -c ${DUMP_BYTES}; echo; echo DUMP-DONE`,
        'dump',
        '{task}',
      ],
      task_is_operand: true,
      description: 'dumps 10 MB once told to',
      sandbox: false,
    },
  };
  const configFile = join(root, 'stalls-fleet.json');
  writeFileSync(configFile, JSON.stringify({ projects: { repo: { path: repo, description: 'bench' } }, roles }));
  return { configFile, go };
}

/** One cheap call; its latency in ms. */
export async function cheapCall(server) {
  const start = performance.now();
  const response = await fetch(`http://127.0.0.1:${server.port}/mcp`, {
    method: 'POST',
    headers: mcpHeaders(server.token),
    body: MCP_BODY,
  });
  await response.text();
  if (response.status !== 200) throw new Error(`list_agent_projects answered ${response.status}`);
  return performance.now() - start;
}

/** Cheap calls one after another for `seconds`; their latencies in ms. */
async function probe(server, seconds) {
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    latencies.push(await cheapCall(server));
    await sleep(PROBE_GAP_MS);
  }
  return latencies;
}

/**
 * The server's CPU time so far (user and system), in ms, from /proc (Linux, 100 ticks a second). On a shared
 * machine a call's latency moves with the load; the CPU the server spent moves far less.
 */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function figures(latencies, cpu) {
  return {
    count: latencies.length,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
    cpuPerSecond: cpu.ms / cpu.seconds,
  };
}

/** Runs `work` and returns the server's CPU time meanwhile and the seconds it took. */
async function withCpu(server, work) {
  const started = performance.now();
  const before = cpuMs(server.pid);
  const result = await work();
  return { result, cpu: { ms: cpuMs(server.pid) - before, seconds: (performance.now() - started) / 1000 } };
}

/** Cheap calls for `seconds`, with the server's CPU meanwhile. */
async function phase(server, seconds) {
  const { result, cpu } = await withCpu(server, () => probe(server, seconds));
  return figures(result, cpu);
}

export async function untilLogShows(server, name, text, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await callTool(server, 'show_agent_log', { name, page_size: 50 });
    if (log.lines.some((line) => line.text.includes(text))) return log;
    if (Date.now() > deadline) throw new Error(`${name}'s log did not show "${text}" within ${timeoutMs} ms`);
    await sleep(200);
  }
}

export async function untilIdle(server, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while ((await callTool(server, 'show_agent', { name })).status !== 'idle') {
    if (Date.now() > deadline) throw new Error(`${name} did not become idle within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function timePage(server, page) {
  const start = performance.now();
  await callTool(server, 'show_agent_log', { name: 'dumper', page, page_size: PAGE_SIZE });
  return performance.now() - start;
}

/** First, middle and last page: the first read of each (cold), then the median of repeats. */
export async function timePages(server) {
  const { total_count } = await callTool(server, 'show_agent_log', { name: 'dumper', page_size: 1 });
  const last = Math.ceil(total_count / PAGE_SIZE);
  const pages = [
    ['first', 1],
    ['middle', Math.ceil(last / 2)],
    ['last', last],
  ];
  const rows = [];
  for (const [label, page] of pages) {
    const cold = await timePage(server, page);
    const warm = [];
    for (let i = 0; i < PAGE_REPEATS; i += 1) warm.push(await timePage(server, page));
    rows.push({ label, page, cold, median: quantile(warm, 0.5), max: Math.max(...warm) });
  }
  return { totalLines: total_count, pages: last, rows };
}

/** Cheap calls while another client reads the last and middle pages over and over. */
async function probeWhilePaging(server, totalPages, seconds) {
  let paging = true;
  const pager = (async () => {
    let reads = 0;
    while (paging) {
      await timePage(server, reads % 2 === 0 ? totalPages : Math.ceil(totalPages / 2));
      reads += 1;
    }
    return reads;
  })();
  const { result, cpu } = await withCpu(server, () => probe(server, seconds));
  paging = false;
  return { ...figures(result, cpu), reads: await pager };
}

/**
 * Runs the stall scenario on one fresh server and returns its figures. `cli` is the bundle to serve (another
 * build's dist/cli.js compares two builds).
 */
export async function measureStalls({ box, cli }) {
  const root = mkdtempSync(join(box.root, 'stalls-'));
  const { configFile, go } = writeFleet(root);
  const server = await startBenchFleet({
    box,
    cli,
    configFile,
    dataDir: join(root, 'data'),
    env: { FLEET_MCP_MAX_BUSY: String(CHATTY + 1) },
  });
  try {
    await probe(server, 1);
    const idle = await phase(server, SAMPLE_SECONDS);
    for (let i = 0; i < CHATTY; i += 1)
      await callTool(server, 'create_agent', { name: `chatty-${i}`, project: 'repo', role: 'chatty', task: 'print' });
    await callTool(server, 'create_agent', { name: 'dumper', project: 'repo', role: 'dump', task: 'dump' });
    for (let i = 0; i < CHATTY; i += 1) await untilLogShows(server, `chatty-${i}`, 'chatty 10', 60_000);
    const steady = await phase(server, SAMPLE_SECONDS / 2);
    const dumpStarted = performance.now();
    const { result, cpu } = await withCpu(server, () => {
      writeFileSync(go, '');
      return Promise.all([
        probe(server, SAMPLE_SECONDS),
        untilLogShows(server, 'dumper', 'DUMP-DONE', 120_000).then(() => performance.now() - dumpStarted),
      ]);
    });
    const [loaded, dumpSeen] = result;
    const underLoad = { ...figures(loaded, cpu), cpuMs: cpu.ms, seconds: cpu.seconds };
    // The dump's task has ended and its end is recorded, its log closed: pages are read from the file.
    await untilIdle(server, 'dumper', 120_000);
    const pages = await timePages(server);
    const paging = await probeWhilePaging(server, pages.pages, SAMPLE_SECONDS / 2);
    return { idle, steady, underLoad, dumpSeenMs: dumpSeen, pages, paging, chatty: CHATTY };
  } finally {
    await server.stop();
  }
}

/** The rows, as markdown, in the form BENCHMARKS.md quotes them. */
export function stallReport(label, r) {
  const ms = (value) => value.toFixed(1);
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const ratio = (value) => (value / r.idle.p99).toFixed(2);
  return [
    `Stalls (${label}): ${r.chatty} agents printing 10 lines/s each (${r.chatty * 10} lines/s in all), one agent dumping 10 MB; cheap call = \`tools/call list_agent_projects\`, one at a time, ${PROBE_GAP_MS} ms apart, ${SAMPLE_SECONDS} s per phase.`,
    '',
    row(['phase', 'calls', 'p50 ms', 'p99 ms', 'max ms (longest stall seen)', 'p99 / idle p99', 'server CPU ms/s']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...[
      ['idle (no agents)', r.idle],
      [`${r.chatty} chatty agents`, r.steady],
      [`${r.chatty} chatty agents + the 10 MB dump`, r.underLoad],
      ['another client reading the last and middle pages of the 10 MB log', r.paging],
    ].map(([name, f]) =>
      row([name, String(f.count), ms(f.p50), ms(f.p99), ms(f.max), ratio(f.p99), f.cpuPerSecond.toFixed(0)]),
    ),
    '',
    `The dump showed in full (its last line in show_agent_log) ${ms(r.dumpSeenMs)} ms after it was started; ${r.paging.reads} pages were read beside the last phase. Its phase cost the server ${r.underLoad.cpuMs.toFixed(0)} ms of CPU in ${r.underLoad.seconds.toFixed(1)} s, ${(r.underLoad.cpuMs - r.steady.cpuPerSecond * r.underLoad.seconds).toFixed(0)} ms more than the chatty agents' rate.`,
    '',
    `Pages of the dump's log once its task ended (${r.pages.totalLines} lines, ${r.pages.pages} pages of ${PAGE_SIZE}), \`show_agent_log\` through /mcp, whole call:`,
    '',
    row(['page', 'number', 'first read ms', `median of ${PAGE_REPEATS} ms`, 'max ms']),
    row(['---', '---:', '---:', '---:', '---:']),
    ...r.pages.rows.map((p) => row([p.label, String(p.page), ms(p.cold), ms(p.median), ms(p.max)])),
  ];
}
