// npm run bench:instructions: the auth overhead in CPU instructions rather than seconds, so other load on the
// machine does not blur it. Each of fleet-mcp with and without auth runs under valgrind's callgrind, serves
// WARM + MEASURED sequential tools/call requests, then WARM in a run kept alive as long as the first, and the
// difference of the two totals divided by MEASURED is its instructions per request (start-up and the work of timers
// and file watchers over the same lifetime cancel out; JIT compiles and collections that fall in the window do not,
// so their shares are named). Then each part of the auth path (scripts/bench/auth-parts.ts, bundled from the
// product's source) is counted the same way, for the breakdown. Prints a paste-ready report with the command, the
// window and the load average; BENCH_RECORD saves them with the counts, and BENCH_COMPARE holds a run against a
// saved one only at the same window and node flags, and warns when the load differed. Needs valgrind; takes minutes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { MCP_BODY, mcpHeaders } from '../mcp-request.mjs';
import { callgrindShares } from './callgrind-shares.mjs';
import { compareRecords } from './instruction-records.mjs';

/** The bundle to measure; BENCH_CLI points at another build's dist/cli.js. */
const CLI = resolve(process.env.BENCH_CLI ?? resolve(import.meta.dirname, '../../dist/cli.js'));
const WARM = Number(process.env.BENCH_WARM ?? 500);
const MEASURED = Number(process.env.BENCH_MEASURED ?? 3000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
/** Another build's dist/cli.js, counted as server `base` (auth on) in the same run, interleaved with this one. */
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
/** Flags for the node under valgrind, e.g. `--no-opt` to leave TurboFan out of the counts. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** The auth parts to count (BENCH_PARTS, comma-separated, to count fewer on a busy machine); see auth-parts.ts. */
const PARTS = (
  process.env.BENCH_PARTS ?? 'digest,authenticate,authenticate-named,usage,rate,app-on,app-off,app-off-no-token'
).split(',');
/** `servers` for auth on vs off only, `parts` for the breakdown only, `both` (the default). */
const MEASURE = process.env.BENCH_MEASURE ?? 'both';

/** Runs of each auth part: warm-up, then measured; a request through the app costs far more than a digest. */
const PART_RUNS = { small: { warm: 2000, measured: 20000 }, app: { warm: 500, measured: 6000 } };

/** One tools/call; sent again once if the kept-alive connection was closed under it, which a slow server under valgrind makes likely. */
async function call(port, token) {
  const post = () =>
    fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: mcpHeaders(token), body: MCP_BODY });
  const response = await post().catch(post);
  if (response.status !== 200) throw new Error(`answered ${response.status}`);
  await response.text();
}

async function send(port, count, token) {
  for (let i = 0; i < count; i += 1) await call(port, token);
}

/**
 * Total instructions of one server process, with auth on or off, that served `count` requests and then stayed
 * idle until `lifetimeSeconds` after its start, from start to exit, and how many seconds it lived. Every request
 * carries the token, whether the server checks it or not: on and off serve the same request, and differ by what
 * the server does with it.
 */
async function instructions({ root, token, auth, cli, count, lifetimeSeconds = 0 }) {
  const out = join(root, `callgrind-${randomBytes(4).toString('hex')}.out`);
  const env = { PATH: process.env.PATH, HOME: root, ...(auth ? { FLEET_MCP_AUTH_TOKEN: token } : {}) };
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${out}`,
    process.execPath,
    ...NODE_FLAGS,
    cli,
    'serve',
    '--port',
    '0',
    auth ? '--auth' : '--no-auth',
  ];
  const startedAt = Date.now();
  const child = spawn('valgrind', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise((done, fail) => {
    let text = '';
    child.once('exit', (code) => fail(new Error(`server under valgrind exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const line = text.split('\n').find((candidate) => candidate.includes('"port"'));
      if (line) done(JSON.parse(line).port);
    });
  });
  await send(port, count, token);
  await new Promise((done) => setTimeout(done, Math.max(0, startedAt + lifetimeSeconds * 1000 - Date.now())));
  child.removeAllListeners('exit');
  await new Promise((done) => {
    child.once('exit', done);
    child.kill('SIGTERM');
  });
  const counts = await callgrindShares(out);
  rmSync(out);
  return { ...counts, seconds: (Date.now() - startedAt) / 1000 };
}

/**
 * Instructions per request, in all and of them the collector's and the optimizing compilers'. Under valgrind a run
 * lasts minutes, and a server's timers and file watchers work whether requests come or not, so the shorter run is
 * kept alive as long as the longer one: that work then falls into both totals alike instead of being counted as if
 * requests caused it. Each sample notes the 1-minute load average at its start.
 */
async function perRequest({ root, token, auth, cli }) {
  const full = await instructions({ root, token, auth, cli, count: WARM + MEASURED });
  const warm = await instructions({ root, token, auth, cli, count: WARM, lifetimeSeconds: full.seconds });
  const per = (key) => (full[key] - warm[key]) / MEASURED;
  return { total: per('total'), gc: per('gc'), jit: per('jit'), seconds: Math.round(full.seconds) };
}

/** The servers to count: auth off and on of this build, and `base`, the baseline build with auth on. */
const SERVERS = {
  off: { auth: false, cli: CLI },
  on: { auth: true, cli: CLI },
  base: { auth: true, cli: BASELINE },
};

/**
 * REPEATS samples of each server, the servers taking turns within each repeat, so two servers' samples are taken
 * at the same load; each sample notes the 1-minute load average at its start.
 */
async function countServers(root, token, names) {
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < REPEATS; i += 1) {
    for (const name of names) {
      const load = loadavg()[0];
      samples[name].push({ ...(await perRequest({ root, token, ...SERVERS[name] })), load });
    }
  }
  return samples;
}

/** Total instructions of `node parts.js part count`, from start to exit. */
function partInstructions(root, script, part, count) {
  const out = join(root, `callgrind-${randomBytes(4).toString('hex')}.out`);
  const args = ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, script, part, String(count)];
  return new Promise((done, fail) => {
    const child = spawn('valgrind', args, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: root },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr.on('data', (chunk) => (errors += chunk));
    child.once('exit', (code) => {
      if (code !== 0) return fail(new Error(`auth part ${part} exited with ${code}: ${errors.slice(-2000)}`));
      done(Number(/^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'))[1]));
    });
  });
}

/** Instructions per run of each auth part, smallest of REPEATS samples, each the difference of two counts. */
async function partsPerCall(root) {
  const script = join(root, 'auth-parts.mjs');
  // Built as dist/cli.js is (minified, ESM, with require() for bundled CommonJS), so the parts run the same code.
  await build({
    entryPoints: [resolve(import.meta.dirname, 'auth-parts.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const parts = {};
  for (const part of PARTS) {
    const { warm: warmRuns, measured } = part.startsWith('app') ? PART_RUNS.app : PART_RUNS.small;
    const samples = [];
    for (let i = 0; i < REPEATS; i += 1) {
      const warm = await partInstructions(root, script, part, warmRuns);
      const full = await partInstructions(root, script, part, warmRuns + measured);
      samples.push((full - warm) / measured);
    }
    parts[part] = Math.min(...samples);
  }
  return parts;
}

function commandLine() {
  const vars = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value}`);
  return [...vars, 'npm run bench:instructions'].join(' ');
}

const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

const k = (value) => `${(value / 1000).toFixed(1)}k`;
const row = (cells) => `| ${cells.join(' | ')} |`;
const percent = (part, whole) => `${((part / whole) * 100).toFixed(1)} %`;

/**
 * Garbage collections and JIT compiles land in a run or not, and only ever add instructions, so the smallest
 * sample is the closest to the work a request needs; its collector and compiler shares are shown beside it.
 */
const smallest = (samples) => samples.reduce((least, sample) => (sample.total < least.total ? sample : least));

function serverRows(servers) {
  const label = { off: 'auth off', on: 'auth on', base: 'baseline build (BENCH_BASELINE), auth on' };
  return [
    row([
      'server',
      'samples: all (GC, JIT)',
      'load at each',
      'smallest',
      'its GC',
      'its JIT',
      'lifetime of each pair, s',
    ]),
    row(['---', '---', '---', '---:', '---:', '---:', '---:']),
    ...Object.entries(servers).map(([name, samples]) => {
      const least = smallest(samples);
      return row([
        label[name],
        samples.map((s) => `${k(s.total)} (${k(s.gc)}, ${k(s.jit)})`).join('; '),
        samples.map((s) => s.load.toFixed(1)).join(', '),
        k(least.total),
        `${k(least.gc)}, ${percent(least.gc, least.total)}`,
        `${k(least.jit)}, ${percent(least.jit, least.total)}`,
        samples.map((s) => s.seconds).join(', '),
      ]);
    }),
  ];
}

/** This build against the baseline, smallest samples: in all, the collector's, and without the JIT's. */
function baselineLines(servers) {
  if (!servers.on || !servers.base) return [];
  const [now, base] = [smallest(servers.on), smallest(servers.base)];
  const ratio = (f) => (f(now) / f(base)).toFixed(3);
  return [
    '',
    `This build / the baseline, smallest samples: all ${ratio((s) => s.total)}, GC ${ratio((s) => s.gc)}, ` +
      `without the JIT's share ${ratio((s) => s.total - s.jit)}.`,
  ];
}

function authLines(servers) {
  if (!servers.on || !servers.off) return [];
  const [on, off] = [smallest(servers.on).total, smallest(servers.off).total];
  return [
    '',
    `Auth overhead, smallest samples: ${k(on - off)} instructions, ${percent(on - off, off)} of a request with auth off.`,
  ];
}

function partLines(parts, servers) {
  if (Object.keys(parts).length === 0) return [];
  const request = servers.on ? smallest(servers.on).total : Number.NaN;
  const share = (value) => (Number.isFinite(request) ? percent(value, request) : '-');
  const app = parts['app-on'] - parts['app-off'];
  const rest = app - parts.authenticate - parts.usage;
  // A part not counted in this run (BENCH_PARTS, BENCH_MEASURE) leaves its rows out.
  const partRow = (name, value) => (Number.isFinite(value) ? [row([name, k(value), share(value)])] : []);
  return [
    '',
    `Where it goes, each part counted alone (smallest of ${REPEATS} runs; ${PART_RUNS.small.measured} calls after ${PART_RUNS.small.warm}, ` +
      `requests through the app ${PART_RUNS.app.measured} after ${PART_RUNS.app.warm}), as a share of an authenticated tools/call (${k(request)}):`,
    '',
    row(['part', 'instructions', 'share']),
    row(['---', '---:', '---:']),
    ...partRow(
      'token check, shared token: timingSafeEqual over 256 bytes with every accepted token',
      parts.authenticate,
    ),
    ...partRow(
      'token check with named tokens too: the above + SHA-256 + timingSafeEqual with every named digest',
      parts['authenticate-named'],
    ),
    ...partRow('of which the SHA-256 of the presented token', parts.digest),
    ...partRow('usage count (tokens-usage.json, written every 30 s)', parts.usage),
    ...partRow('rate-limit bookkeeping (only tokens with a limit)', parts.rate),
    ...partRow('the auth step in the app (on minus off, without MCP)', app),
    ...partRow('of which raw-header scan, Bearer parsing and the middleware step', rest),
    ...partRow(
      "not auth: one more header in the bench's own `new Request()` (auth off; a server reads headers lazily)",
      parts['app-off'] - parts['app-off-no-token'],
    ),
  ];
}

/** The saved run held against this one, or why it cannot be. */
function comparisonLines(record, saved) {
  if (!saved) return [];
  const { refusal, warnings } = compareRecords(record, saved);
  if (refusal) return ['', `Not compared with ${COMPARE}: ${refusal}`];
  const rows = Object.keys(record.servers)
    .filter((name) => saved.servers[name])
    .map((name) => {
      const [now, then] = [smallest(record.servers[name]), smallest(saved.servers[name])];
      return row([name, k(then.total), k(now.total), (now.total / then.total).toFixed(3), k(then.gc), k(now.gc)]);
    });
  return [
    '',
    `Against ${COMPARE} (${saved.date}, \`${saved.command}\`), same window and node flags, smallest samples:`,
    ...warnings.map((warning) => `**Warning:** ${warning}`),
    '',
    row(['server', 'saved', 'now', 'now / saved', 'saved GC', 'now GC']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...rows,
  ];
}

function report({ record, parts, saved, loadAtStart }) {
  const flags = NODE_FLAGS.length === 0 ? 'no node flags (TurboFan on)' : `node ${NODE_FLAGS.join(' ')}`;
  const lines = [
    `Run of ${record.date}: \`${record.command}\``,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}. Load average (1, 5, 15 min) at the start ${loadAtStart}, ` +
      `at the end ${loadAverage()}. Counts move with load: compare only samples taken at a like load, in one run.`,
    ...(Object.keys(record.servers).length === 0
      ? []
      : [
          '',
          `Instructions per authenticated tools/call, window of ${MEASURED} requests after ${WARM} warm-up requests, ${REPEATS} samples per server taken in turn, ${flags}. ` +
            "GC: calls into V8's collector (collections, incremental steps, its helper-thread jobs); JIT: optimizing compile jobs (TurboFan, Maglev).",
          '',
          ...serverRows(record.servers),
        ]),
    ...baselineLines(record.servers),
    ...authLines(record.servers),
    ...partLines(parts, record.servers),
    ...comparisonLines(record, saved),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** A saved record (BENCH_RECORD of an earlier run) to hold this run against. */
const COMPARE = process.env.BENCH_COMPARE ? resolve(process.env.BENCH_COMPARE) : undefined;

const saved = COMPARE ? JSON.parse(readFileSync(COMPARE, 'utf8')) : undefined;
// Refused before counting, which takes many minutes, rather than after.
const refusal =
  saved &&
  compareRecords(
    { node: process.version, nodeFlags: NODE_FLAGS, window: { warm: WARM, measured: MEASURED }, servers: {} },
    saved,
  ).refusal;
if (refusal) {
  process.stderr.write(`bench:instructions: not comparable with ${COMPARE}: ${refusal}\n`);
  process.exit(1);
}
const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-instructions-'));
try {
  const loadAtStart = loadAverage();
  const token = randomBytes(32).toString('base64url');
  // BENCH_SERVERS=on counts only the server with auth, e.g. after a change that only auth code runs.
  const names = MEASURE === 'parts' ? [] : (process.env.BENCH_SERVERS ?? (BASELINE ? 'on,base' : 'off,on')).split(',');
  if (names.includes('base') && !BASELINE)
    throw new Error('server base needs BENCH_BASELINE=<another build>/dist/cli.js');
  const servers = await countServers(root, token, names);
  const parts = MEASURE === 'servers' ? {} : await partsPerCall(root);
  const record = {
    command: commandLine(),
    date: new Date().toISOString(),
    node: process.version,
    nodeFlags: NODE_FLAGS,
    window: { warm: WARM, measured: MEASURED },
    servers,
  };
  if (process.env.BENCH_RECORD)
    writeFileSync(resolve(process.env.BENCH_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  report({ record, parts, saved, loadAtStart });
} finally {
  rmSync(root, { recursive: true, force: true });
}
