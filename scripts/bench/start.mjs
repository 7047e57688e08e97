// npm run bench:start [-- --against <dir>]: how long the CLI takes to start, as ratios to `node -e ''` taken side
// by side in the same rounds (absolute times on a shared machine say little), and time to the first answer of
// `serve` at /health. With --against, a second built checkout (its bin/fleet-mcp.js) runs in the same rounds,
// interleaved, and each of its rows is compared with this one's. See BENCHMARKS.md, "Start-up".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchSandbox } from './processes.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const HEALTH_POLL_MS = 5;

const { values: options } = parseArgs({ options: { against: { type: 'string' } } });

function runMs({ command, args, box }) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: box.cwd, env: box.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return { ms };
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

function healthAnswers(port) {
  return new Promise((done) => {
    const request = get({ host: '127.0.0.1', port, path: '/health', agent: false }, (response) => {
      response.resume();
      done(response.statusCode === 200);
    });
    request.once('error', () => done(false));
  });
}

const CLOCK_TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU time a process has used so far (all its threads, user and system), from /proc (Linux). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/**
 * Milliseconds from spawning `serve` to its first 200 at /health, and the CPU time it used until then (which other
 * load on the machine sways less than the wall time); then stops it and waits for it to exit.
 */
async function serveMs({ command, args, box }) {
  const port = await freePort();
  const start = process.hrtime.bigint();
  const child = spawn(command, [...args, '--port', String(port)], {
    cwd: box.cwd,
    env: box.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((done) => child.once('exit', done));
  let ended = false;
  exited.then(() => (ended = true));
  while (!(await healthAnswers(port))) {
    if (ended) throw new Error(`${args.join(' ')} exited before answering /health: ${stderr}`);
    await new Promise((done) => setTimeout(done, HEALTH_POLL_MS));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = cpuMs(child.pid);
  child.kill('SIGTERM');
  await exited;
  return { ms, cpu };
}

/**
 * The rows measured for one checkout; `tag` tells this checkout's rows from the one compared against. The single
 * executable's rows only when `npm run build:binary` has made it there; this bench does not build it.
 */
function checkoutRows({ tag, root, box }) {
  const node = process.execPath;
  const cli = [join(root, 'bin/fleet-mcp.js')];
  const serveArgs = (name) => ['serve', '--no-auth', '--data-dir', join(box.root, `data-${tag}-${name}`)];
  const rows = [
    { key: `${tag} --version`, run: () => runMs({ command: node, args: [...cli, '--version'], box }) },
    { key: `${tag} --help`, run: () => runMs({ command: node, args: [...cli, '--help'], box }) },
    { key: `${tag} token show`, run: () => runMs({ command: node, args: [...cli, 'token', 'show'], box }) },
    { key: `${tag} serve /health`, run: () => serveMs({ command: node, args: [...cli, ...serveArgs('cli')], box }) },
  ];
  const binary = join(root, 'dist/fleet-mcp');
  if (!existsSync(binary)) return rows;
  return [
    ...rows,
    { key: `${tag} dist/fleet-mcp --version`, run: () => runMs({ command: binary, args: ['--version'], box }) },
    {
      key: `${tag} dist/fleet-mcp serve /health`,
      run: () => serveMs({ command: binary, args: serveArgs('binary'), box }),
    },
  ];
}

function againstRoot() {
  const root = resolve(options.against);
  if (!existsSync(join(root, 'bin/fleet-mcp.js')) || !existsSync(join(root, 'dist/cli.js'))) {
    process.stderr.write(
      `bench:start: --against ${root} needs a built checkout (bin/fleet-mcp.js and dist/cli.js); run \`node scripts/build.mjs\` there\n`,
    );
    process.exit(1);
  }
  return root;
}

function rowsFor(box) {
  return [
    { key: "node -e ''", run: () => runMs({ command: process.execPath, args: ['-e', ''], box }) },
    ...checkoutRows({ tag: 'this', root: ROOT, box }),
    ...(options.against ? checkoutRows({ tag: 'against', root: againstRoot(), box }) : []),
  ];
}

/** Each round runs every row once, starting one row later than the round before, so no row always goes first. */
async function measure(rows) {
  for (const row of rows) await row.run();
  const rounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const figures = new Map();
    for (let i = 0; i < rows.length; i += 1) {
      const row = rows[(i + round) % rows.length];
      const { ms, cpu } = await row.run();
      figures.set(row.key, ms);
      if (cpu !== undefined) figures.set(cpuKey(row.key), cpu);
    }
    rounds.push(figures);
  }
  return rounds;
}

const cpuKey = (key) => `${key}, CPU time`;

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/** The median of the per-round ratios: rows run moments apart, so each ratio sees the same machine load. */
const ratio = (rounds, top, bottom) => median(rounds.map((figures) => figures.get(top) / figures.get(bottom)));

function report({ rows, rounds, loadBefore, loadAfter }) {
  const load = (figures) => figures.map((value) => value.toFixed(2)).join(' ');
  const lines = [
    `Node ${process.version}, ${ROUNDS} rounds, every row once a round (interleaved); load average ${load(loadBefore)} before, ${load(loadAfter)} after.`,
    '',
    `| row | median ms | × node -e '' |${options.against ? ' this / against |' : ''}`,
    `| --- | ---: | ---: |${options.against ? ' ---: |' : ''}`,
  ];
  const keys = rows.flatMap((row) => (rounds[0].has(cpuKey(row.key)) ? [row.key, cpuKey(row.key)] : [row.key]));
  for (const key of keys) {
    const ms = median(rounds.map((figures) => figures.get(key)));
    // A CPU time against node's wall time would compare different things.
    const times = key.endsWith('CPU time') ? '' : ratio(rounds, key, "node -e ''").toFixed(2);
    const counterpart = key.replace(/^this /, 'against ');
    const against = options.against
      ? key.startsWith('this ') && rounds[0].has(counterpart)
        ? ratio(rounds, key, counterpart).toFixed(2)
        : ''
      : undefined;
    lines.push(`| ${key} | ${ms.toFixed(0)} | ${times} |${against === undefined ? '' : ` ${against} |`}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  const box = benchSandbox('fleet-mcp-bench-start-');
  try {
    const token = spawnSync(process.execPath, [join(ROOT, 'bin/fleet-mcp.js'), 'token', 'rotate'], {
      cwd: box.cwd,
      env: box.env,
      encoding: 'utf8',
    });
    if (token.status !== 0) throw new Error(`token rotate failed: ${token.stderr}`);
    const rows = rowsFor(box);
    const loadBefore = loadavg();
    const rounds = await measure(rows);
    report({ rows, rounds, loadBefore, loadAfter: loadavg() });
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
}

await main();
