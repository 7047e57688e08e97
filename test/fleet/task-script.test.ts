import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretLines } from '../../src/fleet/backends/container/secret-lines.js';
import { TASK_EXIT, taskCommand } from '../../src/fleet/backends/remote/task-script.js';
import { gitIn, startGitEndpoint, type GitEndpoint } from './git-endpoint.js';

/** A stand-in agent CLI: what it does is its first argument. */
const FAKE_AGENT = `#!/bin/sh
case $1 in
edit)
  printf 'edited by the agent\\n' >> notes.txt
  printf 'new\\n' > new-file.txt
  printf 'key=%s password=%s\\n' "\${PROVIDER_KEY:-}" "\${FLEET_GIT_PASSWORD:-none}"
  exit 3 ;;
hijack)
  # Every way its config could send the final push (and its credential) elsewhere or change what is committed.
  git config url.http://127.0.0.1:9/.insteadOf "$FLEET_GIT_URL"
  git config --global url.http://127.0.0.1:9/.insteadOf "$FLEET_GIT_URL"
  git config remote.origin.pushurl http://127.0.0.1:9/x
  git config http.proxy http://127.0.0.1:9
  printf '#!/bin/sh\\nexit 1\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit
  printf 'hijacked\\n' > hijack.txt ;;
sleep)
  trap 'printf "stopped\\n" > stopped.txt; exit 143' TERM
  sleep 1000 &
  # Until the child has become sleep: a TERM between its fork and its exec is taken by this shell's trap and lost.
  until [ "$(cat /proc/$!/comm 2>/dev/null)" = sleep ]; do :; done
  echo "sleep-pid $!"
  echo ready
  wait $! ;;
fifo)
  echo ready
  read line < "$2"
  printf 'late\\n' > late.txt ;;
esac
`;

let endpoint: GitEndpoint;
let fakes: string;

beforeAll(async () => {
  endpoint = await startGitEndpoint();
  // Outside /tmp, as the fake CLIs of sandbox tests are.
  fakes = mkdtempSync('/var/tmp/fleet-task-script-');
  writeFileSync(join(fakes, 'fake-agent'), FAKE_AGENT);
  chmodSync(join(fakes, 'fake-agent'), 0o755);
});

afterAll(async () => {
  await endpoint.close();
  rmSync(fakes, { recursive: true, force: true });
  expect(existsSync(endpoint.root)).toBe(false);
  expect(endpoint.log.length).toBeGreaterThan(0);
  for (const line of endpoint.log) expect(line).not.toMatch(/password|[A-Za-z0-9_-]{43}/);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface TaskOptions {
  agent: string;
  argv: string[];
  secrets: Record<string, string>;
  via: 'stdin' | 'folder';
  prefix?: string;
  /** Called with the script's pid and each stdout chunk as it comes. */
  onStdout?: (text: string, pid: number) => void;
}

/** Runs the task script as an engine would (its own process group), here as a local process. */
async function runTask(options: TaskOptions): Promise<Run> {
  const url = await endpoint.addAgent(options.agent);
  const home = mkdtempSync(join(endpoint.root, `home-${options.agent}-`));
  const env: Record<string, string> = {
    PATH: `${fakes}:/usr/bin:/bin`,
    HOME: home,
    FLEET_GIT_URL: url,
    FLEET_GIT_BRANCH: `fleet/${options.agent}`,
    FLEET_WORKDIR_PREFIX: options.prefix ?? '',
    FLEET_GIT_NAME: 'Agent',
    FLEET_GIT_EMAIL: 'agent@test.invalid',
  };
  if (options.via === 'stdin') env.FLEET_SECRETS = 'stdin';
  else {
    env.FLEET_SECRETS_DIR = join(home, 'secrets');
    mkdirSync(env.FLEET_SECRETS_DIR);
    for (const [name, value] of Object.entries(options.secrets))
      writeFileSync(join(env.FLEET_SECRETS_DIR, name), value);
  }
  const [command, ...args] = taskCommand(options.argv);
  const child = spawn(command!, args, { env, cwd: home, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  // A script that refuses its setup may exit before it reads its stdin (EPIPE): its exit is what the test checks.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.via === 'stdin' ? secretLines(options.secrets) : '');
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
    options.onStdout?.(run.stdout, child.pid!);
  });
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  run.code = await new Promise((resolve, reject) => {
    const stuck = setTimeout(() => {
      const group = groupProcesses(child.pid!);
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`still running after ${STUCK_AFTER_MS} ms; its group:\n${group}\n${JSON.stringify(run)}`));
    }, STUCK_AFTER_MS);
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      resolve(code ?? (signal ? -1 : null));
    });
  });
  const password = options.secrets.FLEET_GIT_PASSWORD;
  if (password) expect(run.stdout + run.stderr).not.toContain(password);
  return run;
}

/** Past this a run is stuck: it fails with what its process group still holds, under the test's own limit. */
const STUCK_AFTER_MS = 90_000;

function groupProcesses(group: number): string {
  const table = execFileSync('ps', ['-eo', 'pid,pgid,ppid,stat,etime,args'], { encoding: 'utf8' }).split('\n');
  return table.filter((line) => line.trim().split(/\s+/)[1] === String(group)).join('\n');
}

async function branchFile(agent: string, path: string): Promise<string> {
  return gitIn(endpoint.bareRepo(agent), ['show', `refs/heads/fleet/${agent}:${path}`]).catch(() => '(missing)');
}

describe('the remote task script', () => {
  it('with secrets on stdin: runs the CLI in the project folder, then commits and pushes what it left, and exits with its code', async () => {
    const credential = endpoint.credentials.issue({ agent: 'sam', task: 't-sam' });
    const run = await runTask({
      agent: 'sam',
      argv: ['fake-agent', 'edit'],
      secrets: { FLEET_GIT_PASSWORD: credential, PROVIDER_KEY: 'pk-1 with spaces' },
      via: 'stdin',
      prefix: 'sub',
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('key=pk-1 with spaces password=none');
    expect(await branchFile('sam', 'sub/new-file.txt')).toBe('new');
    expect(await branchFile('sam', 'sub/notes.txt')).toBe('notes\nedited by the agent');
    expect(await gitIn(endpoint.bareRepo('sam'), ['log', '-1', '--format=%an <%ae> %s', 'refs/heads/fleet/sam'])).toBe(
      'Agent <agent@test.invalid> fleet-mcp: work the agent left uncommitted',
    );
  });

  it('with secrets as files in a folder: the same', async () => {
    const credential = endpoint.credentials.issue({ agent: 'tia', task: 't-tia' });
    const run = await runTask({
      agent: 'tia',
      argv: ['fake-agent', 'edit'],
      secrets: { FLEET_GIT_PASSWORD: credential, PROVIDER_KEY: 'pk-2' },
      via: 'folder',
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('key=pk-2 password=none');
    expect(await branchFile('tia', 'new-file.txt')).toBe('new');
  });

  it('pushes to the server whatever the agent configured in its clone and home', async () => {
    const credential = endpoint.credentials.issue({ agent: 'uma', task: 't-uma' });
    const run = await runTask({
      agent: 'uma',
      argv: ['fake-agent', 'hijack'],
      secrets: { FLEET_GIT_PASSWORD: credential },
      via: 'stdin',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await branchFile('uma', 'hijack.txt')).toBe('hijacked');
  });

  it('exits 127 with one line when the image has no such CLI', async () => {
    const credential = endpoint.credentials.issue({ agent: 'vic', task: 't-vic' });
    const run = await runTask({
      agent: 'vic',
      argv: ['no-such-agent-cli', '-p', 'x'],
      secrets: { FLEET_GIT_PASSWORD: credential },
      via: 'stdin',
    });
    expect(run.code).toBe(TASK_EXIT.noCli);
    expect(run.stderr).toBe(
      'fleet-mcp: the image has no "no-such-agent-cli" on its PATH: install it in the image, or give the role\'s command as a full path\n',
    );
  });

  it('exits 78 with one line when the git credential is missing', async () => {
    const run = await runTask({
      agent: 'wes',
      argv: ['fake-agent', 'edit'],
      secrets: { PROVIDER_KEY: 'k' },
      via: 'folder',
    });
    expect(run.code).toBe(TASK_EXIT.badSetup);
    expect(run.stderr).toMatch(/^fleet-mcp: FLEET_GIT_PASSWORD is not among the task's secrets.*\n$/);
  });

  it("exits 78 with one line when the project's folder is not in the branch", async () => {
    const credential = endpoint.credentials.issue({ agent: 'zed', task: 't-zed' });
    const run = await runTask({
      agent: 'zed',
      argv: ['fake-agent', 'edit'],
      secrets: { FLEET_GIT_PASSWORD: credential },
      via: 'stdin',
      prefix: 'no/such',
    });
    expect(run.code).toBe(TASK_EXIT.badSetup);
    expect(run.stderr).toBe(
      'fleet-mcp: the project\'s folder "no/such" is not in fleet/zed; check the project\'s path in the fleet config\n',
    );
  });

  it("forwards SIGTERM to the CLI's whole process group, then still pushes what it left", async () => {
    const credential = endpoint.credentials.issue({ agent: 'xia', task: 't-xia' });
    let sent = false;
    let sleepPid = 0;
    const run = await runTask({
      agent: 'xia',
      argv: ['fake-agent', 'sleep'],
      secrets: { FLEET_GIT_PASSWORD: credential },
      via: 'stdin',
      onStdout: (text, pid) => {
        if (sent || !text.includes('ready')) return;
        sent = true;
        sleepPid = Number(/sleep-pid (\d+)/.exec(text)![1]);
        process.kill(pid, 'SIGTERM');
      },
    });
    expect(run.code, run.stderr).toBe(143);
    expect(await branchFile('xia', 'stopped.txt')).toBe('stopped');
    await expect.poll(() => isAlive(sleepPid)).toBe(false);
  });

  it("exits 70 with one line when the push is refused (its task's credential revoked meanwhile)", async () => {
    const credential = endpoint.credentials.issue({ agent: 'yan', task: 't-yan' });
    const fifo = join(endpoint.root, 'yan-fifo');
    await new Promise((resolve) => spawn('mkfifo', [fifo]).on('close', resolve));
    let released = false;
    const run = await runTask({
      agent: 'yan',
      argv: ['fake-agent', 'fifo', fifo],
      secrets: { FLEET_GIT_PASSWORD: credential },
      via: 'stdin',
      onStdout: (text) => {
        if (released || !text.includes('ready')) return;
        released = true;
        endpoint.credentials.revoke('t-yan');
        writeFileSync(fifo, 'go\n');
      },
    });
    expect(run.code).toBe(TASK_EXIT.pushFailed);
    expect(run.stderr).toContain("fleet-mcp: could not push the agent's work to fleet/yan at ");
    expect(await branchFile('yan', 'late.txt')).toBe('(missing)');
  });
});

/** Running, or stopped: not gone, and not a zombie left for the machine's init to reap. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
