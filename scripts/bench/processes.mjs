// Starting the benchmark targets as separate processes and reading what the kernel says about them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private HOME and working directory, so a bench never reads or writes the real ~/.config/fleet-mcp. No
 * NODE_OPTIONS or NODE_EXTRA_CA_CERTS from the caller: they would slow `node -e ''` and the CLI unequally.
 */
export function benchSandbox(prefix) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const cwd = join(root, 'work');
  mkdirSync(cwd);
  const env = {
    PATH: process.env.PATH,
    HOME: root,
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_DATA_HOME: join(root, 'data'),
  };
  return { root, cwd, env };
}

/**
 * Starts a server process and resolves once a stdout line carries its port: `{"port":N}` from the bench
 * servers, or fleet-mcp's own "listening" log line, which has a `port` field too.
 * @param {{ command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv }} options
 */
export function startTarget(options) {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`${options.args.join(' ')} exited with ${code}:\n${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      const line = output.split('\n').find((text) => text.includes('"port"'));
      if (!line) return;
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      child.removeAllListeners('exit');
      resolve({ port: JSON.parse(line).port, pid: child.pid, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** Resident set size in MiB, from /proc (Linux). */
export function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Median wall time in milliseconds of running a command to completion `runs` times. */
export function medianRunMs({ command, args, env, runs }) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { env, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}
