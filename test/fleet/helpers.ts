import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFleet, type Fleet, type FleetOptions } from '../../src/fleet/fleet.js';
import { resolveRoles, type RolesConfig } from '../../src/fleet/roles.js';
import type { Project } from '../../src/fleet/projects.js';
import type { LogLine } from '../../src/fleet/types.js';

/** What the test agent script does; the test passes it as the task text, which reaches the script as one argument. */
export interface AgentScript {
  lines?: string[];
  errLines?: string[];
  sleepMs?: number;
  exit?: number;
  /** Keep running through SIGINT (only SIGTERM/SIGKILL stop it). */
  ignoreSigint?: boolean;
  printEnv?: boolean;
  printCwd?: boolean;
  printArgv?: boolean;
  printPid?: boolean;
  /** Print this many lines of `bytes` characters each, to fill the log. */
  flood?: { lines: number; bytes: number };
  /** Print "tick" this many times, `everyMs` apart, before leaving. */
  ticks?: { count: number; everyMs: number };
  /** Before sleeping `sleepMs`: wait until this file exists, so the test decides when the task goes on. */
  waitForFile?: string;
  /** Just before leaving: print these lines, then write this file and commit everything with git. */
  finalLines?: string[];
  commit?: string;
}

const SCRIPT = `
const spec = JSON.parse(process.argv[2]);
if (spec.ignoreSigint) process.on('SIGINT', () => console.log('ignoring SIGINT'));
else process.on('SIGINT', () => { console.log('stopping on SIGINT'); process.exit(130); });
for (const line of spec.lines ?? []) console.log(line);
for (const line of spec.errLines ?? []) console.error(line);
if (spec.printEnv) console.log('ENV ' + JSON.stringify(process.env));
if (spec.printCwd) console.log('CWD ' + process.cwd());
if (spec.printArgv) console.log('ARGV ' + JSON.stringify(process.argv.slice(2)));
if (spec.printPid) console.log('PID ' + process.pid);
if (spec.flood) for (let i = 0; i < spec.flood.lines; i++) console.log(String(i).padEnd(spec.flood.bytes, 'x'));
console.log('ready');
if (spec.ticks) { let n = 0; const timer = setInterval(() => { console.log('tick'); if (++n >= spec.ticks.count) clearInterval(timer); }, spec.ticks.everyMs); }
// Leaving through the event loop rather than process.exit() lets Node flush stdout, which is async on a socket pipe.
const finish = () => setTimeout(() => {
  for (const line of spec.finalLines ?? []) console.log(line);
  if (spec.commit) {
    require('node:fs').writeFileSync(spec.commit, 'work\\n');
    const git = (args) => require('node:child_process').execFileSync('git', ['-c', 'user.name=Agent', '-c', 'user.email=agent@test.invalid', ...args]);
    git(['add', '-A']);
    git(['commit', '-q', '-m', 'agent: ' + spec.commit]);
  }
  process.exitCode = spec.exit ?? 0;
}, spec.sleepMs ?? 0);
if (spec.waitForFile) {
  const poll = setInterval(() => { if (require('node:fs').existsSync(spec.waitForFile)) { clearInterval(poll); finish(); } }, 20);
} else finish();
`;

/** What the sh agent does itself; a spec with anything else goes to the node script. */
const SH_SPEC_KEYS = new Set(['lines', 'errLines', 'sleepMs', 'exit', 'printCwd', 'printPid', 'waitForFile']);

/**
 * The agent of most tests, in sh: a node start costs more CPU than what these agents do, and the suite starts
 * thousands. It reads the line form that task() writes for the specs it knows, in the node script's order, and hands
 * a JSON spec to the node script. The sleep runs apart so that SIGINT ends the wait at once, as it ends node's.
 */
function shScript(node: string, nodeScript: string): string {
  return `case $1 in '{'*) exec '${node}' '${nodeScript}' "$1" ;; esac
trap 'echo "stopping on SIGINT"; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 130' INT
sleeper= gate= delay= code=0
while IFS= read -r line; do
  case $line in
    'out '*) printf '%s\\n' "\${line#out }" ;;
    'err '*) printf '%s\\n' "\${line#err }" >&2 ;;
    cwd) printf 'CWD '; pwd -P ;;
    pid) echo "PID $$" ;;
    'wait '*) gate=\${line#wait } ;;
    'sleep '*) delay=\${line#sleep } ;;
    'exit '*) code=\${line#exit } ;;
  esac
done <<SPEC
$1
SPEC
echo ready
if [ -n "$gate" ]; then
  until [ -e "$gate" ]; do sleep 0.05; done
fi
if [ -n "$delay" ]; then
  sleep "$delay" </dev/null >/dev/null 2>&1 &
  sleeper=$!
  wait "$sleeper"
fi
exit "$code"
`;
}

/** Writes the test agent into `dir` and returns the command that runs it, before its `{task}` argument. */
export function writeAgentScript(dir: string): string[] {
  const nodeScript = join(dir, 'agent.cjs');
  writeFileSync(nodeScript, SCRIPT);
  const script = join(dir, 'agent.sh');
  writeFileSync(script, shScript(process.execPath, nodeScript));
  return ['/bin/sh', script];
}

/** The task text for the test agent: lines the sh agent reads when it can do the spec, else the spec as JSON. */
export function task(spec: AgentScript): string {
  const texts = [...(spec.lines ?? []), ...(spec.errLines ?? []), spec.waitForFile ?? ''];
  const simple = Object.keys(spec).every((key) => SH_SPEC_KEYS.has(key)) && texts.every((text) => !/[\r\n]/.test(text));
  if (!simple) return JSON.stringify(spec);
  return [
    'fleet-test-agent',
    ...(spec.lines ?? []).map((line) => `out ${line}`),
    ...(spec.errLines ?? []).map((line) => `err ${line}`),
    ...(spec.printCwd ? ['cwd'] : []),
    ...(spec.printPid ? ['pid'] : []),
    ...(spec.waitForFile ? [`wait ${spec.waitForFile}`] : []),
    ...(spec.sleepMs ? [`sleep ${(spec.sleepMs / 1000).toFixed(3)}`] : []),
    ...(spec.exit !== undefined ? [`exit ${spec.exit}`] : []),
  ].join('\n');
}

/** Temp dirs for one test, removed by cleanup(). */
export class Sandbox {
  private readonly dirs: string[] = [];
  private readonly fleets: Fleet[] = [];

  dir(prefix = 'fleet-test-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** A role config whose "test" role runs the test agent. */
  rolesConfig(extra: RolesConfig = {}): RolesConfig {
    const agent = writeAgentScript(this.dir('fleet-script-'));
    return { test: { command: [...agent, '{task}'], default: true }, ...extra };
  }

  gitRepo(): string {
    return initGitRepo(this.dir('fleet-repo-'));
  }

  async fleet(options: Partial<FleetOptions> & { rolesConfig?: RolesConfig } = {}): Promise<Fleet> {
    const { rolesConfig, ...rest } = options;
    const projects: Project[] = rest.projects ?? [
      { name: 'plain', path: this.dir('fleet-plain-'), description: 'a plain directory' },
    ];
    const fleet = await createFleet({
      dataDir: this.dir('fleet-data-'),
      projects,
      roles: resolveRoles(rolesConfig ?? this.rolesConfig(), { pathEnv: '' }),
      maxBusy: 4,
      baseEnv: { ...process.env, FLEET_MCP_AUTH_TOKEN: 'secret-token', FLEET_MCP_PORT: '1', AUTH_ENABLED: 'true' },
      cancelGraceMs: 300,
      // Tests stop what they started; the ones about tasks outliving their server say otherwise.
      stopAgentsOnShutdown: true,
      ...rest,
    });
    this.fleets.push(fleet);
    return fleet;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.fleets.map((fleet) => fleet.shutdown()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** A git repository with one commit, in `dir`. */
export function initGitRepo(dir: string): string {
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'README.md'), '# test project\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'initial']);
  return dir;
}

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Fleet Test', '-c', 'user.email=fleet@test.invalid', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/** Polls until `check` returns a value other than undefined; fails with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every log line of the agent, oldest first. */
export async function allLogLines(fleet: Fleet, name: string): Promise<LogLine[]> {
  return (await fleet.agentLog(name, { page: 1, pageSize: 500 })).items.reverse();
}

export async function logTexts(fleet: Fleet, name: string): Promise<string[]> {
  return (await allLogLines(fleet, name)).map((line) => line.text);
}

/** Resolves once the agent's script has installed its signal handler and printed "ready". */
export function scriptReady(fleet: Fleet, name: string): Promise<true> {
  return eventually(async () => ((await logTexts(fleet, name)).includes('ready') ? true : undefined));
}

/**
 * Whether the process runs: it exists and is not a zombie. An orphan's zombie may never be reaped where the
 * container's init does not reap, so signal 0 alone would call a killed process alive.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

/** Whether a process with this pid still exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
