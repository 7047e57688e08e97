import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/bench/backends.mjs');

function runBench(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [SCRIPT],
      { env: { PATH: process.env.PATH, ...env } },
      (_error, stdout, stderr) => done({ code: child.exitCode, stdout, stderr }),
    );
  });
}

/** Processes still running from a backend bench's folder: its task supervisors name their data dir. */
function benchProcesses(): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return args.includes('fleet-mcp-bench-backends-') ? [args] : [];
      } catch {
        return [];
      }
    });
}

describe('npm run bench:backends', () => {
  it('times local agents from create_agent to their first line through the real server, reads their memory, and leaves nothing running', async () => {
    const { code, stdout, stderr } = await runBench({ BENCH_BACKENDS: 'local', BENCH_AGENTS: '2', BENCH_ROUNDS: '1' });
    expect(code, stderr).toBe(0);
    // create_agent answered, first output median, max; then host PSS, RSS, processes, server growth.
    expect(stdout).toMatch(/^\| local, unsandboxed \| \d+ \| \d+ \| \d+ \|/m);
    expect(stdout).toMatch(/^\| local, unsandboxed \| \d+\.\d \| \d+\.\d \| 2 \| -?\d+\.\d \|/m);
    expect(stdout).toMatch(/^- local, unsandboxed: supervisor \d+\.\d \/ \d+\.\d, sleep /m);
    expect(benchProcesses()).toEqual([]);
  }, 120_000);

  it('refuses a backend it does not know in one line that lists the ones it does', async () => {
    const { code, stderr } = await runBench({ BENCH_BACKENDS: 'local,kubernetes' });
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'bench:backends: BENCH_BACKENDS names no backend kubernetes: pick from local,bwrap,docker,podman,swarm',
    );
  });
});
