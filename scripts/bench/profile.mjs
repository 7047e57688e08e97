// node scripts/bench/profile.mjs [dist/cli.js | a target's script]: where an authenticated stateless tools/call spends
// its time. Starts `fleet-mcp serve --auth` (or the script, e.g. scripts/bench/sdk-floor.mjs) under `node --cpu-prof
// --trace-gc-nvp`, loads it as `npm run bench` loads (b), and prints the server's CPU per request (from /proc), its
// scavenges per 1000 requests, and its CPU profile's self time by package and by function, mapped to the source
// through the bundle's source maps. Build first (node scripts/build.mjs).
// BENCH_PROFILE_OUT=<file> keeps the server's profile (.cpuprofile, for Chrome's DevTools) there.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { MCP_BODY, mcpHeaders } from '../mcp-request.mjs';
import { load } from './load.mjs';

const CLI = resolve(process.argv[2] ?? join(import.meta.dirname, '../../dist/cli.js'));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TOP = Number(process.env.BENCH_TOP ?? 30);
const { SourceMapConsumer } = createRequire(import.meta.url)('source-map-js');

/** fleet-mcp's cli.js is started as `serve --auth`; any other script (a bench target such as sdk-floor.mjs) as it is. */
function start(root, token) {
  const serve = basename(CLI) === 'cli.js' ? ['serve', '--port', '0', '--auth', '--data-dir', join(root, 'data')] : [];
  const args = ['--cpu-prof', `--cpu-prof-dir=${join(root, 'profile')}`, '--trace-gc-nvp', CLI, ...serve];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: root, FLEET_MCP_AUTH_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const server = { child, output: '' };
  return new Promise((done, fail) => {
    child.once('exit', (code) => fail(new Error(`server exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      server.output += chunk;
      const line = server.output.split('\n').find((text) => text.includes('"port"'));
      if (line && !server.port) done(Object.assign(server, { port: JSON.parse(line).port }));
    });
  });
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Collections in --trace-gc-nvp lines, and the bytes allocated before them (allocation cut off by the window's ends is missed). */
function collections(output) {
  const lines = output.split('\n').filter((line) => line.includes(' gc='));
  const allocated = lines.reduce((sum, line) => sum + Number(/ allocated=(\d+)/.exec(line)?.[1] ?? 0), 0);
  const scavenges = lines.filter((line) => / gc=s /.test(line)).length;
  return { allocated, scavenges, others: lines.length - scavenges };
}

function stop(child) {
  return new Promise((done) => {
    child.removeAllListeners('exit');
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}

/** A profile node's place in the source: function, file and line, through the bundle's source map where there is one. */
function locator() {
  const maps = new Map();
  const mapOf = (url) => {
    const path = url.replace(/^file:\/\//, '');
    if (!path.startsWith('/')) return undefined;
    if (!maps.has(path))
      maps.set(
        path,
        existsSync(`${path}.map`) ? new SourceMapConsumer(JSON.parse(readFileSync(`${path}.map`, 'utf8'))) : null,
      );
    return maps.get(path);
  };
  return (frame) => {
    const position = mapOf(frame.url)?.originalPositionFor({ line: frame.lineNumber + 1, column: frame.columnNumber });
    if (!position?.source)
      return { name: `${frame.functionName || '(anonymous)'} ${frame.url}`, group: groupOf(frame) };
    const source = position.source.replace(/^(\.\.\/)+/, '');
    const name = `${position.name ?? frame.functionName ?? '(anonymous)'} ${source}:${position.line}`;
    return { name, group: groupOf(frame, source) };
  };
}

function groupOf(frame, source) {
  if (source?.startsWith('src/')) return 'fleet-mcp (src/)';
  const module = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(source ?? '')?.[1];
  if (module === '@modelcontextprotocol/sdk' || module === 'zod') return 'MCP SDK and zod';
  if (module === 'hono' || module === '@hono/node-server') return 'hono and its Node adapter';
  if (module) return module;
  if (['(garbage collector)', '(idle)', '(program)'].includes(frame.functionName)) return frame.functionName;
  if (frame.functionName === 'writev' || frame.functionName === 'writeUtf8String') return 'socket writes (kernel)';
  return 'Node (http, streams, events, start-up)';
}

function selfTimes(profile) {
  const where = locator();
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const names = new Map();
  const groups = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const { name, group } = where(byNode.get(id).callFrame);
    names.set(name, (names.get(name) ?? 0) + delta);
    groups.set(group, (groups.get(group) ?? 0) + delta);
    total += delta;
  });
  const ranked = (map, count) =>
    [...map]
      .sort((x, y) => y[1] - x[1])
      .slice(0, count)
      .map(([name, time]) => `| ${name} | ${((time / total) * 100).toFixed(1)} % |`);
  return { groups: ranked(groups, 20), functions: ranked(names, TOP) };
}

const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-profile-'));
try {
  const token = randomBytes(32).toString('base64url');
  const server = await start(root, token);
  const options = { url: `http://127.0.0.1:${server.port}/mcp`, headers: mcpHeaders(token), body: MCP_BODY };
  await load({ ...options, seconds: 3, connections: CONNECTIONS });
  const [cpuBefore, outputBefore] = [cpuMs(server.child.pid), server.output.length];
  const result = await load({ ...options, seconds: SECONDS, connections: CONNECTIONS });
  const requests = result.rps * SECONDS;
  const cpu = ((cpuMs(server.child.pid) - cpuBefore) / requests) * 1000;
  const gc = collections(server.output.slice(outputBefore));
  const scavenges = (gc.scavenges / requests) * 1000;
  const allocated = gc.allocated / requests;
  await stop(server.child);
  // The server's own profile is the largest: a node child it starts with its flags writes one too.
  const file = readdirSync(join(root, 'profile'))
    .map((name) => join(root, 'profile', name))
    .sort((x, y) => statSync(y).size - statSync(x).size)[0];
  if (process.env.BENCH_PROFILE_OUT) copyFileSync(file, process.env.BENCH_PROFILE_OUT);
  const { groups, functions } = selfTimes(JSON.parse(readFileSync(file, 'utf8')));
  const command = `node scripts/bench/profile.mjs ${process.argv[2] ?? ''}`.trim();
  process.stdout.write(
    [
      `\`${command}\` (BENCH_SECONDS=${SECONDS}, BENCH_CONNECTIONS=${CONNECTIONS}), ${new Date().toISOString()}:`,
      '',
      `${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms; server CPU ${cpu.toFixed(0)} µs per request; ` +
        `${(allocated / 1024).toFixed(1)} KiB allocated per request (over ${gc.scavenges + gc.others} collections); ` +
        `${scavenges.toFixed(2)} scavenges per 1000 requests. Self time over the whole run (start-up included):`,
      '',
      '| where | self time |',
      '| --- | ---: |',
      ...groups,
      '',
      '| function | self time |',
      '| --- | ---: |',
      ...functions,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
