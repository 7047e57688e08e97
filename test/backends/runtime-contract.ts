import { createHash, randomBytes } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import {
  RuntimeError,
  type AgentRuntime,
  type RemoteTaskSpec,
  type TaskHandle,
} from '../../src/fleet/backends/remote/agent-runtime.js';
import { FAKE_IMAGE, HOST_USR } from '../helpers/engines.js';

export interface ContractOptions {
  /** A new runtime on the engine, as a (re)started server makes it. */
  runtime: () => AgentRuntime;
  network: 'none' | 'host';
  /** Everything the engine records about the task (its object, its container, its labels and env), as text. */
  records: (handle: TaskHandle) => Promise<string>;
  /** The engine's objects (containers, services, secrets) that carry this server's label. */
  leftovers: (server: string) => Promise<unknown[]>;
  /** False where the engine cannot set no-new-privileges (Swarm's API 1.41 has no field for it). */
  noNewPrivileges?: boolean;
  /** False where the engine does not record that the kernel's OOM killer ended the task (Podman 4.3 here). */
  recordsOomKill?: boolean;
}

/**
 * Reads the secret the way the task script does on each engine: a folder of files under Swarm, else the
 * `NAME=<base64>` lines on stdin up to an empty line.
 */
const READ_SECRET = [
  'if [ -n "$FLEET_SECRETS_DIR" ]; then v=$(cat "$FLEET_SECRETS_DIR/FLEET_TEST_KEY");',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, run by sh
  'else while IFS= read -r l && [ -n "$l" ]; do case $l in FLEET_TEST_KEY=*) v=$(printf %s "${l#*=}" | base64 -d);; esac; done; fi',
].join(' ');

/** The tests every engine passes; registered in the calling test file. */
export function runtimeContract(options: ContractOptions): void {
  const servers: string[] = [];

  const spec = (script: string, overrides: Partial<RemoteTaskSpec> = {}): RemoteTaskSpec => {
    const server = `test-${randomBytes(4).toString('hex')}`;
    servers.push(server);
    return {
      labels: { server, agent: 'ada', task: `task-${randomBytes(3).toString('hex')}` },
      image: FAKE_IMAGE,
      command: ['sh', '-c', script],
      env: { PLAIN: 'visible' },
      secrets: {},
      limits: { cpus: 1, memoryBytes: 128 * 1024 * 1024, pids: 64 },
      network: options.network,
      readOnlyMounts: HOST_USR,
      ...overrides,
    };
  };

  // A failed test leaves nothing on the engine for the next one.
  afterEach(async () => {
    const runtime = options.runtime();
    for (const server of servers.splice(0)) for (const handle of await runtime.find(server)) await handle.remove();
  });

  test('output arrives in order, stdout and stderr apart, and the exit code with it', async () => {
    const handle = await options
      .runtime()
      .start(spec('for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; exit 3'));
    const output = collect(handle);
    expect(await handle.exit()).toEqual({ exitCode: 3, oomKilled: false, error: null });
    await output.done;
    expect(output.stdout()).toBe('out1\nout2\nout3\nout4\nout5\n');
    expect(output.stderr()).toBe('err1\nerr2\nerr3\nerr4\nerr5\n');
  });

  test('a secret reaches the process and shows in no record of the engine, label or variable', async () => {
    const secret = `sk-${randomBytes(12).toString('hex')}`;
    const handle = await options
      .runtime()
      .start(spec(`${READ_SECRET}; printf %s "$v" | sha256sum`, { secrets: { FLEET_TEST_KEY: secret } }));
    const output = collect(handle);
    expect((await handle.exit()).exitCode).toBe(0);
    await output.done;
    expect(output.stdout()).toContain(createHash('sha256').update(secret).digest('hex'));
    const records = await options.records(handle);
    expect(records).toContain('PLAIN=visible');
    expect(records).toContain('io.fleet-mcp.task');
    expect(records).not.toContain(secret);
    expect(records).not.toContain(Buffer.from(secret).toString('base64'));
  });

  test('stop ends a task that traps nothing and has children, by SIGTERM through its init', async () => {
    const handle = await options.runtime().start(spec('sleep 300 & sleep 300 & echo ready; wait'));
    const output = collect(handle);
    await output.waitFor('ready');
    await handle.stop(20_000);
    // 143 is 128 + SIGTERM: the init passed the signal on; without one the shell as PID 1 ignores it and SIGKILL (137) ends it.
    expect((await handle.exit()).exitCode).toBe(143);
    await output.done;
  });

  test('stop of a task that has exited already ends at once, without an error', async () => {
    const handle = await options.runtime().start(spec('exit 0'));
    expect((await handle.exit()).exitCode).toBe(0);
    await handle.stop(20_000);
    expect((await handle.exit()).exitCode).toBe(0);
  });

  test('a hostile task gets no capability: it cannot mount, write the read-only mounts, or gain privileges', async () => {
    const attack = [
      'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
      'mount -t tmpfs none /mnt 2>/dev/null && echo MOUNTED',
      'touch /usr/fleet-escape 2>/dev/null && echo WROTE-USR',
      'chroot / true 2>/dev/null && echo CHROOTED',
      'grep -c : /proc/net/dev',
    ].join('; ');
    const handle = await options.runtime().start(spec(attack));
    const output = collect(handle);
    await handle.exit();
    await output.done;
    expect(output.stdout()).toMatch(/^CapEff:\s+0000000000000000$/m);
    expect(output.stdout()).not.toMatch(/MOUNTED|WROTE-USR|CHROOTED/);
    if (options.noNewPrivileges ?? true) expect(output.stdout()).toMatch(/^NoNewPrivs:\s+1$/m);
    // On the network "none" the task sees loopback only.
    if (options.network === 'none') expect(output.stdout().trim().split('\n').pop()).toBe('1');
  });

  test('a task over its memory limit ends with oomKilled', async () => {
    const limits = { cpus: 1, memoryBytes: 32 * 1024 * 1024, pids: 64 };
    const handle = await options
      .runtime()
      .start(spec(`x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived`, { limits }));
    const exit = await handle.exit();
    // 137: SIGKILL from the kernel, the limit held.
    expect(exit).toMatchObject({ oomKilled: options.recordsOomKill ?? true, exitCode: 137 });
  });

  test('the pids limit holds: forking past it fails inside the task', async () => {
    const limits = { cpus: 1, memoryBytes: 128 * 1024 * 1024, pids: 16 };
    const handle = await options
      .runtime()
      .start(spec('i=0; while [ $i -lt 40 ]; do sleep 60 & i=$((i+1)); done; echo done', { limits }));
    const output = collect(handle);
    await handle.exit();
    await output.done;
    expect(output.stderr()).toMatch(/fork/i);
  });

  test('a restarted server finds the task by its labels and follows its output from the start', async () => {
    const first = spec('echo early; sleep 1; echo late >&2; sleep 1; echo last');
    const started = await options.runtime().start(first);
    const found = await options.runtime().find(first.labels.server);
    expect(found.map((handle) => ({ id: handle.id, labels: handle.labels }))).toEqual([
      { id: started.id, labels: first.labels },
    ]);
    const output = collect(found[0]!);
    await output.done;
    expect(output.stdout()).toBe('early\nlast\n');
    expect(output.stderr()).toBe('late\n');
    expect((await found[0]!.exit()).exitCode).toBe(0);
  });

  test('remove leaves nothing with the server label behind', async () => {
    const task = spec('echo hi', { secrets: { FLEET_TEST_KEY: 'x' } });
    const handle = await options.runtime().start(task);
    await handle.exit();
    await handle.remove();
    expect(await options.leftovers(task.labels.server)).toEqual([]);
    expect(await options.runtime().find(task.labels.server)).toEqual([]);
  });

  test('a missing image is one line naming it and the fix, and nothing is left behind', async () => {
    // On loopback: were anything ever to try a pull, it would go nowhere else.
    const task = spec('echo hi', { image: '127.0.0.1:9/fleet-missing:none', secrets: { FLEET_TEST_KEY: 'x' } });
    const error = await options
      .runtime()
      .start(task)
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(RuntimeError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('127.0.0.1:9/fleet-missing:none');
    expect(message).toMatch(/docker load/);
    expect(await options.leftovers(task.labels.server)).toEqual([]);
  });
}

export interface Collected {
  stdout(): string;
  stderr(): string;
  done: Promise<void>;
  /** Resolves once stdout holds `text`. */
  waitFor(text: string): Promise<void>;
}

export function collect(handle: TaskHandle): Collected {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const waiters: { text: string; resolve: () => void }[] = [];
  const stdout = () => Buffer.concat(chunks.stdout).toString('utf8');
  const { done } = handle.output((stream, data) => {
    chunks[stream].push(data);
    for (const waiter of waiters.filter((entry) => stdout().includes(entry.text))) waiter.resolve();
  });
  return {
    stdout,
    stderr: () => Buffer.concat(chunks.stderr).toString('utf8'),
    done,
    waitFor: (text) =>
      stdout().includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve })),
  };
}
