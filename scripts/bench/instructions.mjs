// npm run bench:instructions: the auth overhead in CPU instructions rather than seconds, so other load on the
// machine does not blur it. Each of fleet-mcp with and without auth runs under valgrind's callgrind, serves
// WARM + MEASURED sequential tools/call requests, then WARM in a run kept alive as long as the first, and the
// difference of the two totals divided by MEASURED is its instructions per request (start-up, JIT warm-up and the
// work of timers and file watchers over the same lifetime cancel out). Then each part of the auth path
// (scripts/bench/auth-parts.ts, bundled from the product's source) is counted the same way, for the breakdown.
// Prints a paste-ready report with the command and the load average. Needs valgrind; takes minutes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { MCP_BODY, mcpHeaders } from '../mcp-request.mjs';

/** The bundle to measure; BENCH_CLI points at another build's dist/cli.js. */
const CLI = resolve(process.env.BENCH_CLI ?? resolve(import.meta.dirname, '../../dist/cli.js'));
const WARM = Number(process.env.BENCH_WARM ?? 500);
const MEASURED = Number(process.env.BENCH_MEASURED ?? 3000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
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
async function instructions({ root, token, auth, count, lifetimeSeconds = 0 }) {
  const out = join(root, `callgrind-${randomBytes(4).toString('hex')}.out`);
  const env = { PATH: process.env.PATH, HOME: root, ...(auth ? { FLEET_MCP_AUTH_TOKEN: token } : {}) };
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${out}`,
    process.execPath,
    CLI,
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
  return {
    total: Number(/^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'))[1]),
    seconds: (Date.now() - startedAt) / 1000,
  };
}

/**
 * Instructions per request. Under valgrind a run lasts minutes, and a server's timers and file watchers work
 * whether requests come or not, so the shorter run is kept alive as long as the longer one: that work then falls
 * into both totals alike instead of being counted as if requests caused it.
 */
async function perRequest(root, token, auth) {
  const samples = [];
  const seconds = [];
  for (let i = 0; i < REPEATS; i += 1) {
    const full = await instructions({ root, token, auth, count: WARM + MEASURED });
    const warm = await instructions({ root, token, auth, count: WARM, lifetimeSeconds: full.seconds });
    samples.push((full.total - warm.total) / MEASURED);
    seconds.push(Math.round(full.seconds));
  }
  return { samples, seconds };
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

function report({ off: offRuns, on: onRuns, parts, loadAtStart }) {
  const [off, on] = [offRuns.samples, onRuns.samples];
  // Garbage collections and JIT recompilations land in a run or not, and only ever add instructions, so the
  // smallest sample is the closest to the work a request needs.
  const least = (values) => Math.min(...values);
  const k = (value) => `${(value / 1000).toFixed(1)}k`;
  const show = (values) => values.map(k).join(', ');
  const spreadOf = (values) => ((Math.max(...values) - least(values)) / least(values)) * 100;
  const request = least(on);
  const share = (value) => (Number.isFinite(request) ? `${((value / request) * 100).toFixed(2)} %` : '-');
  const row = (cells) => `| ${cells.join(' | ')} |`;
  const app = parts['app-on'] - parts['app-off'];
  const rest = app - parts.authenticate - parts.usage;
  // A part not counted in this run (BENCH_PARTS, BENCH_MEASURE) leaves its rows out.
  const partRow = (name, value) => (Number.isFinite(value) ? [row([name, k(value), share(value)])] : []);
  const lines = [
    `Run of ${new Date().toISOString()}: \`${commandLine()}\``,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}. Load average (1, 5, 15 min) at the start ${loadAtStart}, ` +
      `at the end ${loadAverage()} (instruction counts do not depend on it).`,
    '',
    `Instructions per authenticated tools/call, ${REPEATS} runs of ${MEASURED} requests after ${WARM} warm-up requests each:`,
    '',
    row(['server', 'samples', 'spread', 'smallest', 'lifetime of each pair of runs, s']),
    row(['---', '---', '---:', '---:', '---:']),
    row(['auth off', show(off), `${spreadOf(off).toFixed(0)} %`, k(least(off)), offRuns.seconds.join(', ')]),
    row(['auth on', show(on), `${spreadOf(on).toFixed(0)} %`, k(least(on)), onRuns.seconds.join(', ')]),
    '',
    `Auth overhead, smallest samples: ${k(least(on) - least(off))} instructions, ${(((least(on) - least(off)) / least(off)) * 100).toFixed(2)} % of a request with auth off.`,
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
  process.stdout.write(`${lines.join('\n')}\n`);
}

const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-instructions-'));
try {
  const loadAtStart = loadAverage();
  const token = randomBytes(32).toString('base64url');
  // BENCH_SERVERS=on counts only the server with auth, e.g. after a change that only auth code runs.
  const servers = MEASURE === 'parts' ? [] : (process.env.BENCH_SERVERS ?? 'off,on').split(',');
  const none = { samples: [Number.NaN], seconds: [] };
  const off = servers.includes('off') ? await perRequest(root, token, false) : none;
  const on = servers.includes('on') ? await perRequest(root, token, true) : none;
  const parts = MEASURE === 'servers' ? {} : await partsPerCall(root);
  report({ off, on, parts, loadAtStart });
} finally {
  rmSync(root, { recursive: true, force: true });
}
