// BENCH_STALLS=paired (with BENCH_BASELINE): the stall rows of two builds measured at once. On a shared machine
// whose load moves several times over within minutes, two builds measured one after the other see different
// machines; here both servers run the same scenario side by side, the cheap calls alternate between them (one to
// each, then the gap), and both dumps start on the same signal, so every phase of both sees the same moment.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantile, startBenchFleet } from './bench-fleet.mjs';
import {
  CHATTY,
  cheapCall,
  cpuMs,
  PROBE_GAP_MS,
  SAMPLE_SECONDS,
  sleep,
  timePages,
  untilIdle,
  untilLogShows,
  writeFleet,
} from './stalls.mjs';
import { callTool } from './tool-call.mjs';

/** Cheap calls for `seconds`, alternating between the servers; per server its latencies and CPU ms per second. */
async function probeBoth(servers, seconds) {
  const latencies = servers.map(() => []);
  const cpuBefore = servers.map((server) => cpuMs(server.pid));
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    for (const [index, server] of servers.entries()) latencies[index].push(await cheapCall(server));
    await sleep(PROBE_GAP_MS);
  }
  const elapsed = (performance.now() - started) / 1000;
  return servers.map((server, index) => ({
    count: latencies[index].length,
    p50: quantile(latencies[index], 0.5),
    p99: quantile(latencies[index], 0.99),
    max: Math.max(...latencies[index]),
    cpuPerSecond: (cpuMs(server.pid) - cpuBefore[index]) / elapsed,
  }));
}

/** The stall scenario on one server per build at once; per build its phases and pages. */
export async function measureStallsPaired({ box, builds }) {
  const go = join(mkdtempSync(join(box.root, 'stalls-go-')), 'dump-now');
  const servers = [];
  try {
    for (const { cli } of builds) {
      const root = mkdtempSync(join(box.root, 'stalls-'));
      const { configFile } = writeFleet(root, go);
      const env = { FLEET_MCP_MAX_BUSY: String(CHATTY + 1) };
      servers.push(await startBenchFleet({ box, cli, configFile, dataDir: join(root, 'data'), env }));
    }
    await probeBoth(servers, 1);
    const idle = await probeBoth(servers, SAMPLE_SECONDS);
    for (let i = 0; i < CHATTY; i += 1)
      for (const server of servers)
        await callTool(server, 'create_agent', { name: `chatty-${i}`, project: 'repo', role: 'chatty', task: 'print' });
    for (const server of servers)
      await callTool(server, 'create_agent', { name: 'dumper', project: 'repo', role: 'dump', task: 'dump' });
    for (let i = 0; i < CHATTY; i += 1)
      for (const server of servers) await untilLogShows(server, `chatty-${i}`, 'chatty 10', 60_000);
    const steady = await probeBoth(servers, SAMPLE_SECONDS / 2);
    const dumpStarted = performance.now();
    writeFileSync(go, '');
    const [underLoad, ...dumpSeen] = await Promise.all([
      probeBoth(servers, SAMPLE_SECONDS),
      ...servers.map((server) =>
        untilLogShows(server, 'dumper', 'DUMP-DONE', 120_000).then(() => performance.now() - dumpStarted),
      ),
    ]);
    for (const server of servers) await untilIdle(server, 'dumper', 120_000);
    const pages = [];
    for (const server of servers) pages.push(await timePages(server));
    return builds.map((build, index) => ({
      label: build.label,
      idle: idle[index],
      steady: steady[index],
      underLoad: underLoad[index],
      dumpSeenMs: dumpSeen[index],
      pages: pages[index],
    }));
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The rows, as markdown: both builds per phase, and the ratio of their p99s. */
export function pairedStallReport(results) {
  const ms = (value) => value.toFixed(1);
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const [first, second] = results;
  const phases = [
    ['idle (no agents)', 'idle'],
    [`${CHATTY} chatty agents`, 'steady'],
    [`${CHATTY} chatty agents + the 10 MB dump`, 'underLoad'],
  ];
  const cells = (r, key) => {
    const f = r[key];
    return [`${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}`, (f.p99 / r.idle.p99).toFixed(2), f.cpuPerSecond.toFixed(0)];
  };
  return [
    `Stalls, both builds at once: ${CHATTY} agents printing 10 lines/s each per server, one agent per server dumping 10 MB (both on one signal); cheap calls alternate between the servers, ${PROBE_GAP_MS} ms apart, ${SAMPLE_SECONDS} s per phase.`,
    '',
    row([
      'phase',
      `${first.label}: p50 / p99 / max ms`,
      'p99 / idle',
      'CPU ms/s',
      `${second.label}: p50 / p99 / max ms`,
      'p99 / idle',
      'CPU ms/s',
      `p99 ${first.label} / ${second.label}`,
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...phases.map(([name, key]) =>
      row([name, ...cells(first, key), ...cells(second, key), (first[key].p99 / second[key].p99).toFixed(2)]),
    ),
    '',
    `The dump showed in full after ${ms(first.dumpSeenMs)} ms (${first.label}) and ${ms(second.dumpSeenMs)} ms (${second.label}); calls per server per phase: ${phases.map(([, key]) => first[key].count).join(', ')}.`,
    '',
    row(['page (first / median / max ms)', first.label, second.label]),
    row(['---', '---:', '---:']),
    ...first.pages.rows.map((p, index) => {
      const q = second.pages.rows[index];
      return row([
        `${p.label} (${p.page})`,
        `${ms(p.cold)} / ${ms(p.median)} / ${ms(p.max)}`,
        `${ms(q.cold)} / ${ms(q.median)} / ${ms(q.max)}`,
      ]);
    }),
  ];
}
