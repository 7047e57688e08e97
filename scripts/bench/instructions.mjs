// npm run bench:instructions: the auth overhead in CPU instructions rather than seconds, so other load on the
// machine does not blur it. Each of fleet-mcp with and without auth runs under valgrind's callgrind, serves
// WARM then WARM + MEASURED sequential tools/call requests, and the difference of the two totals divided by
// MEASURED is its instructions per request (start-up and JIT warm-up cancel out). Needs valgrind; takes minutes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MCP_BODY, mcpHeaders } from '../mcp-request.mjs';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const WARM = Number(process.env.BENCH_WARM ?? 500);
const MEASURED = Number(process.env.BENCH_MEASURED ?? 1000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);

async function send(port, count, token) {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: mcpHeaders(token), body: MCP_BODY });
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
    await response.text();
  }
}

/** Total instructions of one server process that served `count` requests, from start to exit. */
async function instructions({ root, token, count }) {
  const out = join(root, `callgrind-${randomBytes(4).toString('hex')}.out`);
  const env = { PATH: process.env.PATH, HOME: root, ...(token ? { FLEET_MCP_AUTH_TOKEN: token } : {}) };
  const args = ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, CLI, 'serve', '--port', '0', token ? '--auth' : '--no-auth'];
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
  child.removeAllListeners('exit');
  await new Promise((done) => (child.once('exit', done), child.kill('SIGTERM')));
  return Number(/^summary: (\d+)$/m.exec(readFileSync(out, 'utf8'))[1]);
}

async function perRequest(root, token) {
  const samples = [];
  for (let i = 0; i < REPEATS; i += 1) {
    const warm = await instructions({ root, token, count: WARM });
    const full = await instructions({ root, token, count: WARM + MEASURED });
    samples.push((full - warm) / MEASURED);
  }
  return samples;
}

const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-instructions-'));
try {
  const token = randomBytes(32).toString('base64url');
  const off = await perRequest(root, undefined);
  const on = await perRequest(root, token);
  // Garbage collections and JIT recompilations land in a run or not, and only ever add instructions, so the
  // smallest sample is the closest to the work a request needs.
  const least = (values) => Math.min(...values);
  const show = (values) => values.map((value) => `${(value / 1000).toFixed(0)}k`).join(', ');
  process.stdout.write(
    `instructions per tools/call, ${REPEATS} runs of ${MEASURED} after ${WARM} warm-up requests (Node ${process.version}):\n` +
      `  auth off: ${show(off)}\n  auth on:  ${show(on)}\n` +
      `  auth overhead: ${(((least(on) - least(off)) / least(off)) * 100).toFixed(2)} % of a request (smallest samples)\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
