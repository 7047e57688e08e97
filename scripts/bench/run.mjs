// npm run bench: starts the four servers side by side (six targets: a session and a 2026-07-28 caller are on the auth-on server) on loopback, loads each in turn for a bounded time, and
// prints throughput, latency, their ratios, idle memory and cold start. See BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { join, resolve } from 'node:path';
import { MCP_BODY, MODERN_HEADERS, MODERN_MCP_BODY, mcpHeaders } from '../mcp-request.mjs';
import { load } from './load.mjs';
import { benchSandbox, medianRunMs, rssMiB, startTarget } from './processes.mjs';
import { measureScale, scaleReport } from './fleet-scale.mjs';
import { measureStalls, stallReport } from './stalls.mjs';
import { measureStallsPaired, pairedStallReport } from './stalls-paired.mjs';
import { measureWebLive, webLiveReport } from './web-live.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/fleet-mcp.js');
const BINARY = join(ROOT, 'dist/fleet-mcp');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Another build's dist/cli.js (e.g. the main branch built elsewhere): adds target (p), that build with auth on. */
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
/**
 * `only`: just the stall rows; `off`: neither them nor the web view's live row that follows them; `paired` (with
 * BENCH_BASELINE): just the stall rows, of both builds at once (stalls-paired.mjs).
 */
const STALLS = process.env.BENCH_STALLS ?? 'on';
/** `only`: just the web view's live row; `off`: not it. */
const WEB_LIVE = process.env.BENCH_WEB_LIVE ?? 'on';
/** `only`: just the scale rows (create_agent's CPU, 1000 idle agents); `off`: none of them. */
const SCALE = process.env.BENCH_SCALE ?? 'on';
/** The throughput targets to load (BENCH_TARGETS=b,h,p: keys, comma-separated); all by default. */
const TARGETS = process.env.BENCH_TARGETS?.split(',');

function targets(box, token) {
  const node = process.execPath;
  // Each fleet-mcp gets its own data dir: one server per data dir is all the fleet allows.
  const fleet = (auth, cli = CLI, dataDir = auth ? 'data-auth' : 'data-open') => ({
    command: node,
    args: [cli, 'serve', '--port', '0', auth ? '--auth' : '--no-auth', '--data-dir', join(box.root, dataDir)],
  });
  const baseline = BASELINE
    ? [
        {
          key: 'p',
          name: 'baseline build (BENCH_BASELINE) /mcp, auth on',
          token,
          ...fleet(true, BASELINE, 'data-baseline'),
          env: { FLEET_MCP_AUTH_TOKEN: token },
        },
      ]
    : [];
  return [
    {
      key: 'a',
      name: 'bare @hono/node-server JSON route',
      command: node,
      args: [join(ROOT, 'scripts/bench/bare-hono.mjs')],
    },
    { key: 'b', name: 'fleet-mcp /mcp, auth on', token, ...fleet(true), env: { FLEET_MCP_AUTH_TOKEN: token } },
    { key: 'c', name: 'fleet-mcp /mcp, auth off', ...fleet(false) },
    {
      key: 'd',
      name: 'stock SDK: Express + StreamableHTTPServerTransport',
      command: node,
      args: [join(ROOT, 'scripts/bench/reference-express.mjs')],
    },
    {
      key: 'h',
      name: 'hand-written node:http JSON-RPC responder, same bearer check',
      command: node,
      args: [join(ROOT, 'scripts/bench/hand-written.mjs')],
      token,
      env: { FLEET_MCP_AUTH_TOKEN: token },
    },
    {
      key: 's',
      name: "the SDK's floor: its McpServer on node:http, same tool and bearer check",
      command: node,
      args: [join(ROOT, 'scripts/bench/sdk-floor.mjs')],
      token,
      env: { FLEET_MCP_AUTH_TOKEN: token },
    },
    ...baseline,
  ]
    .filter((target) => !TARGETS || TARGETS.includes(target.key) || (target.key === 'b' && needsB()))
    .map((target) => ({ ...target, cwd: box.cwd, env: { ...box.env, ...target.env } }));
}

/** (e) and (f) are (b)'s server, so they need it started. */
function needsB() {
  return TARGETS.includes('e') || TARGETS.includes('f');
}

const PROTOCOL_VERSION = '2025-06-18';

/** A target's request headers: the token where there is one, and the session's id for the session row. */
function headersOf(target) {
  const session = target.sessionId
    ? { 'mcp-session-id': target.sessionId, 'mcp-protocol-version': PROTOCOL_VERSION }
    : {};
  return { ...mcpHeaders(target.token), ...session, ...(target.modern ? MODERN_HEADERS : {}) };
}

const bodyOf = (target) => (target.modern ? MODERN_MCP_BODY : MCP_BODY);

/** Opens a session on a fleet-mcp target (initialize, then initialized) and returns its id. */
async function openSession(target) {
  const post = (body, headers) =>
    fetch(`http://127.0.0.1:${target.port}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
  const initialize = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
  };
  const opened = await post(initialize, mcpHeaders(target.token));
  await opened.text();
  const sessionId = opened.headers.get('mcp-session-id');
  if (!sessionId) throw new Error(`${target.name} opened no session (status ${opened.status})`);
  const initialized = await post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    headersOf({ ...target, sessionId }),
  );
  if (initialized.status !== 202)
    throw new Error(`${target.name} refused the initialized notification: ${initialized.status}`);
  return sessionId;
}

/**
 * (e) is (b)'s server, loaded through one session: the same process, measured in the same rounds, so e/b says
 * what a session costs or saves per call against the stateless mode.
 */
async function sessionTarget(stateless) {
  const sessionId = await openSession(stateless);
  return { ...stateless, key: 'e', name: 'fleet-mcp /mcp in a session, auth on', sessionId, stop: async () => {} };
}

/** (f) is (b)'s server again, called at MCP 2026-07-28: f/b says what the modern era costs or saves per call. */
function modernTarget(stateless) {
  return { ...stateless, key: 'f', name: 'fleet-mcp /mcp at 2026-07-28, auth on', modern: true, stop: async () => {} };
}

/** The tool result a target answers with (JSON or a one-event SSE stream), to check all do the same work. */
async function toolAnswer(target) {
  const response = await fetch(`http://127.0.0.1:${target.port}/mcp`, {
    method: 'POST',
    headers: headersOf(target),
    body: bodyOf(target),
  });
  if (response.status !== 200) throw new Error(`${target.name} answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  const json = text.startsWith('{')
    ? text
    : text
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice(6);
  return JSON.parse(json).result;
}

async function checkSameWork(started) {
  const answers = await Promise.all(started.filter((t) => t.key !== 'a').map(toolAnswer));
  if (answers.length === 0) return;
  // As values: a baseline build may print the same answer pretty-printed.
  const texts = new Set(answers.map((answer) => JSON.stringify(JSON.parse(answer.content[0].text))));
  if (texts.size !== 1) throw new Error(`targets answer list_agent_projects differently:\n${[...texts].join('\n')}`);
}

async function measure(started) {
  for (const target of started) await load({ ...loadOptions(target), seconds: 2 });
  const rounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    // Each round starts one target later, so over five rounds every target runs in every position once and none
    // always follows the same neighbour (a run right after the bare route's flood measured a few % low).
    const order = started.map((_, i) => started[(i + round) % started.length]);
    const figures = new Map();
    for (const target of order) figures.set(target.key, await load({ ...loadOptions(target), seconds: SECONDS }));
    rounds.push(figures);
  }
  return rounds;
}

function loadOptions(target) {
  return {
    url: `http://127.0.0.1:${target.port}/mcp`,
    headers: headersOf(target),
    body: bodyOf(target),
    connections: CONNECTIONS,
  };
}

/** The q-quantile of a list (nearest rank), q in [0, 1]. */
const quantile = (values, q) =>
  [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor(q * values.length))];
const median = (values) => quantile(values, 0.5);

/** Per target and figure, the median over the rounds, so one disturbed round does not decide the result. */
function perTarget(rounds, key) {
  const runs = rounds.map((figures) => figures.get(key));
  const rps = runs.map((run) => run.rps);
  return {
    rps: median(rps),
    spread: spread(rps),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

/** How far one round's figure strays from the median: the interquartile range, as ± % of the median. */
function spread(values) {
  const m = median(values);
  return ((quantile(values, 0.75) - quantile(values, 0.25)) / 2 / m) * 100;
}

/**
 * A ratio is taken within each round, from targets loaded one right after the other, and the median of those is
 * reported: on a machine whose load drifts this is steadier than a ratio of two medians. The quartiles of the
 * per-round ratios say how much it moved within the run.
 */
function ratio(rounds, top, bottom) {
  const values = rounds.map((figures) => figures.get(top).rps / figures.get(bottom).rps);
  return { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) };
}

/** The command as typed, with the BENCH_ variables that changed it, so a reader can rerun exactly this. */
function commandLine() {
  const vars = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value}`);
  return [...vars, 'npm run bench'].join(' ');
}

const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

function machine() {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${platform()} ${release()}, Node ${process.version}`;
}

function report({ started, rounds, idle, coldStart, loadAtStart }) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const has = (key) => started.some((t) => t.key === key);
  const ratioRow = (name, top, bottom, target) => {
    if (!has(top) || !has(bottom)) return undefined;
    const r = ratio(rounds, top, bottom);
    return row([name, r.median.toFixed(3), `${r.q1.toFixed(3)}-${r.q3.toFixed(3)}`, target]);
  };
  const bc = has('b') && has('c') ? ratio(rounds, 'b', 'c').median : Number.NaN;
  const lines = [
    `Run of ${new Date().toISOString()}: \`${commandLine()}\``,
    '',
    `Machine: ${machine()}. Load average (1, 5, 15 min) at the start ${loadAtStart}, at the end ${loadAverage()}.`,
    `${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per target, targets in turn, starting one later each round.`,
    '',
    row(['target', 'req/s', '± % over rounds', 'p50 ms', 'p99 ms', 'errors', 'idle RSS MiB']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...started.map((t) => {
      const r = perTarget(rounds, t.key);
      return row([
        `(${t.key}) ${t.name}`,
        r.rps.toFixed(0),
        r.spread.toFixed(0),
        r.p50.toFixed(1),
        r.p99.toFixed(1),
        String(r.errors),
        idle.get(t.key).toFixed(1),
      ]);
    }),
    '',
    'Ratios of req/s: the median of the per-round ratios, and their quartiles (how far they moved within this run).',
    '',
    row(['ratio', 'median', 'quartiles', 'target']),
    row(['---', '---:', '---:', '---']),
    ratioRow(
      'b/c, auth on vs off',
      'b',
      'c',
      `auth overhead ${((1 - bc) * 100).toFixed(1)} %; wall clock cannot settle 2 %, see bench:instructions`,
    ),
    ratioRow('e/b, session vs stateless', 'e', 'b', 'at least 1 (a call in a session not slower)'),
    ratioRow('f/b, 2026-07-28 vs 2025 stateless', 'f', 'b', 'at least 1 (the modern era not slower)'),
    ratioRow('b/d, fleet-mcp vs stock SDK', 'b', 'd', 'at least 2'),
    ratioRow('b/a, fleet-mcp vs bare Hono', 'b', 'a', ''),
    ratioRow('b/h, fleet-mcp vs the hand-written responder', 'b', 'h', 'at least 0.6 (closer to the ceiling)'),
    ratioRow("s/h, the SDK's floor vs the hand-written responder", 's', 'h', ''),
    ratioRow("b/s, fleet-mcp vs the SDK's floor", 'b', 's', ''),
    ...(has('p')
      ? [
          ratioRow('b/p, this build vs the baseline build', 'b', 'p', 'at least 1 (this build not slower)'),
          // A baseline from before 2026-07-28 answers that era with 400: its 2025-era /mcp is the figure to keep up with.
          ratioRow(
            'f/p, this build at 2026-07-28 vs the baseline build',
            'f',
            'p',
            'at least 1 (the modern era not slower)',
          ),
          ratioRow('p/h, the baseline build vs the hand-written responder', 'p', 'h', ''),
        ]
      : []),
    '',
    `Cold start, median of 15 runs: node -e '' ${coldStart.node.toFixed(0)} ms; fleet-mcp --version ${coldStart.cli.toFixed(0)} ms` +
      (coldStart.binary === undefined ? '' : `; dist/fleet-mcp --version ${coldStart.binary.toFixed(0)} ms`),
  ];
  // A ratio row of a target not loaded in this run (BENCH_TARGETS) is left out.
  process.stdout.write(`${lines.filter((line) => line !== undefined).join('\n')}\n`);
}

/** The stall rows, for this build and, with BENCH_BASELINE, for that build after it on the same machine. */
async function stalls(box) {
  const builds = [['this build', join(ROOT, 'dist/cli.js')], ...(BASELINE ? [['baseline build', BASELINE]] : [])];
  for (const [label, cli] of builds) {
    const figures = await measureStalls({ box, cli });
    process.stdout.write(`\n${stallReport(label, figures).join('\n')}\n`);
  }
}

/** The stall rows of this build and BENCH_BASELINE's, both measured at once. */
async function pairedStalls(box) {
  if (!BASELINE)
    throw new Error('BENCH_STALLS=paired measures two builds at once: set BENCH_BASELINE to the other build');
  const builds = [
    { label: 'this build', cli: join(ROOT, 'dist/cli.js') },
    { label: 'baseline', cli: BASELINE },
  ];
  process.stdout.write(`\n${pairedStallReport(await measureStallsPaired({ box, builds })).join('\n')}\n`);
}

/** The web view's live row, for this build only: a baseline build may have no web view. */
async function webLive(box) {
  const samples = await measureWebLive({ box, cli: join(ROOT, 'dist/cli.js') });
  process.stdout.write(`\n${webLiveReport(samples).join('\n')}\n`);
}

/** One group of rows on its own (BENCH_SCALE, BENCH_STALLS or BENCH_WEB_LIVE =only), with the command, machine and load. */
async function only(box, rows) {
  try {
    process.stdout.write(
      `Run of ${new Date().toISOString()}: \`${commandLine()}\`\n\nMachine: ${machine()}. Load average at the start ${loadAverage()}.\n`,
    );
    await rows(box);
    process.stdout.write(`\nLoad average at the end ${loadAverage()}.\n`);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
}

/** The scale rows, for this build and, with BENCH_BASELINE, for that build after it on the same machine. */
async function scale(box) {
  const builds = [['this build', join(ROOT, 'dist/cli.js')], ...(BASELINE ? [['baseline build', BASELINE]] : [])];
  for (const [label, cli] of builds) {
    const figures = await measureScale({ box, cli });
    process.stdout.write(`\n${scaleReport(label, figures).join('\n')}\n`);
  }
}

async function main() {
  const box = benchSandbox('fleet-mcp-bench-');
  if (SCALE === 'only') return only(box, scale);
  if (STALLS === 'only') return only(box, stalls);
  if (STALLS === 'paired') return only(box, pairedStalls);
  if (WEB_LIVE === 'only') return only(box, webLive);
  const token = randomBytes(32).toString('base64url');
  const started = [];
  const loadAtStart = loadAverage();
  try {
    for (const target of targets(box, token)) started.push({ ...target, ...(await startTarget(target)) });
    await new Promise((done) => setTimeout(done, 1000));
    const idle = new Map(started.map((t) => [t.key, rssMiB(t.pid)]));
    const wanted = (key) => !TARGETS || TARGETS.includes(key);
    if (wanted('e')) {
      started.push(await sessionTarget(started.find((t) => t.key === 'b')));
      idle.set('e', idle.get('b'));
    }
    if (wanted('f')) {
      started.push(modernTarget(started.find((t) => t.key === 'b')));
      idle.set('f', idle.get('b'));
    }
    await checkSameWork(started);
    const rounds = await measure(started);
    const coldStart = {
      node: medianRunMs({ command: process.execPath, args: ['-e', ''], env: box.env, runs: 15 }),
      cli: medianRunMs({ command: process.execPath, args: [CLI, '--version'], env: box.env, runs: 15 }),
      // Only when `npm run build:binary` has made it; the bench does not build it.
      binary: existsSync(BINARY)
        ? medianRunMs({ command: BINARY, args: ['--version'], env: box.env, runs: 15 })
        : undefined,
    };
    report({ started, rounds, idle, coldStart, loadAtStart });
    await Promise.all(started.map((t) => t.stop()));
    started.length = 0;
    if (STALLS !== 'off') await stalls(box);
    if (STALLS !== 'off' && WEB_LIVE !== 'off') await webLive(box);
    if (SCALE !== 'off') await scale(box);
  } finally {
    await Promise.all(started.map((t) => t.stop()));
    rmSync(box.root, { recursive: true, force: true });
  }
}

await main();
