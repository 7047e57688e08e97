import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { probeUserNet } from '../../src/fleet/backends/local/sandbox/user-net.js';
import { addNamedToken } from '../helpers/named-tokens.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { killServers } from '../helpers/server.js';
import { startFleetServer, type FleetSandbox, type FleetServer } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';
import { createShellFleet, runTask, SHELL } from './shell-fleet.js';

// Sandboxed agents against the real server, the real SDK client and the real bwrap: a shell role whose task text
// is the script it runs. Everything lives under /var/tmp, not /tmp, so the sandbox's private /tmp does not hide
// it by accident: what the agent cannot see, the sandbox hid on purpose. Each probe runs once sandboxed and once
// unsandboxed, so a probe that could never succeed would show here as a failing control.

// Skipped where bwrap or pasta cannot run, except in CI, which installs them (.ci/run) and must prove the sandbox.
const SANDBOX_PROBLEM = probeBwrap(process.env.PATH).problem ?? probeUserNet(process.env.PATH).problem;
const roots: string[] = [];

/** The background sleeps the probes start, ended here too in case a failing run left one behind. */
const tags: string[] = [];

afterAll(async () => {
  killServers();
  await stopInProcessServers();
  for (const tag of tags.splice(0)) if (hostHasProcess(tag)) killHostProcess(tag);
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  expectNoSecretInLogs();
});

/** Passed to the server only: the agents' environment leaves out FLEET_MCP_* variables, so it shows only in the server's own environ. */
const ENVIRON_MARKER = 'FLEET_MCP_SANDBOX_TEST_MARKER';

function createRoot(): FleetSandbox {
  const fleet = createShellFleet('fleet-mcp-sandbox-test', {
    jailed: { command: SHELL, sandbox: true, default: true },
    offline: { command: SHELL, sandbox: { network: false } },
    open: { command: SHELL, sandbox: false },
    // A state path nobody can create: its parent is a file.
    broken: { command: SHELL, sandbox: { writable: ['/etc/hostname/fleet-mcp-state'] } },
  });
  roots.push(fleet.sandbox.root);
  return fleet;
}

/** A shell script that tries what a prompt-injected agent would, printing a word for each thing that worked. */
function probes(
  fleet: FleetSandbox,
  server: FleetServer,
  otherWorktree: string,
  bgTag: string,
  tokensFile: string,
): string {
  tags.push(bgTag);
  const portHex = server.server.port.toString(16).toUpperCase().padStart(4, '0');
  return [
    `cat ${fleet.sandbox.tokenFile} >/dev/null 2>&1 && echo READ-TOKEN`,
    `ls ${fleet.sandbox.configDir} 2>/dev/null | grep -q auth_token && echo LIST-TOKEN-DIR`,
    `grep -q sha256 ${tokensFile} 2>/dev/null && echo READ-NAMED-TOKENS`,
    `grep -q projects ${fleet.configFile} 2>/dev/null && echo READ-CONFIG`,
    `tr '\\0' '\\n' < /proc/${server.server.process.pid}/environ 2>/dev/null | grep -q ${ENVIRON_MARKER} && echo READ-ENVIRON`,
    `ls ${otherWorktree} 2>/dev/null | grep -q other.txt && echo READ-OTHER-WORKTREE`,
    `ls ${fleet.dataDir} 2>/dev/null | grep -q agents && echo READ-DATA-DIR`,
    `grep -q ':${portHex} ' /proc/net/tcp /proc/net/tcp6 2>/dev/null && echo SEES-SERVER-PORT`,
    // With the capabilities bwrap keeps for root, this would make / writable again.
    `mount -o remount,rw / 2>/dev/null`,
    `echo x > ${fleet.repo}/escaped.txt 2>/dev/null && echo WROTE-REPO`,
    `echo x > ${fleet.sandbox.root}/escaped.txt 2>/dev/null && echo WROTE-ROOT`,
    `echo x > ${fleet.dataDir}/worktrees/escaped.txt 2>/dev/null && echo WROTE-DATA-DIR`,
    `echo x > /usr/fleet-mcp-escaped.txt 2>/dev/null && rm -f /usr/fleet-mcp-escaped.txt && echo WROTE-USR`,
    // The user's repository: its config, hooks, refs and objects are the server's and the user's, never the agent's.
    `echo '[probe]' >> ${fleet.repo}/.git/config 2>/dev/null && echo WROTE-GIT-CONFIG`,
    `echo true > ${fleet.repo}/.git/hooks/post-checkout 2>/dev/null && rm ${fleet.repo}/.git/hooks/post-checkout && echo WROTE-HOOK`,
    `git -C ${fleet.repo} update-ref refs/heads/probe HEAD 2>/dev/null && git -C ${fleet.repo} update-ref -d refs/heads/probe && echo WROTE-USER-REF`,
    `touch ${fleet.repo}/.git/objects/probe 2>/dev/null && rm ${fleet.repo}/.git/objects/probe && echo WROTE-USER-OBJECTS`,
    `echo work > mine.txt && git add mine.txt && git -c user.name=Agent -c user.email=agent@test.invalid commit -qm 'sandboxed commit' && echo COMMITTED`,
    // Out of the task's process group, so only the PID namespace can end it with the task.
    `setsid sleep ${bgTag} >/dev/null 2>&1 < /dev/null &`,
    'echo DONE',
  ].join('\n');
}

function hostHasProcess(tag: string): boolean {
  return readdirSync('/proc').some((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() === `sleep ${tag}`;
    } catch {
      return false;
    }
  });
}

function killHostProcess(tag: string): void {
  execFileSync('pkill', ['-x', '-f', `sleep ${tag}`], { stdio: 'ignore' });
}

const ESCAPES = [
  'READ-TOKEN',
  'LIST-TOKEN-DIR',
  'READ-NAMED-TOKENS',
  'READ-CONFIG',
  'READ-ENVIRON',
  'READ-OTHER-WORKTREE',
  'READ-DATA-DIR',
  'WROTE-REPO',
  'WROTE-ROOT',
  'WROTE-DATA-DIR',
  'WROTE-USR',
  'WROTE-GIT-CONFIG',
  'WROTE-HOOK',
  'WROTE-USER-REF',
  'WROTE-USER-OBJECTS',
];

describe.skipIf(SANDBOX_PROBLEM !== undefined && !process.env.CI)('sandboxed agents (bwrap)', () => {
  // The real process, in the probes of these two: the agent must not see its environ or its port.
  it('a sandboxed agent sees nothing that guards the fleet, writes only its worktree, commits on its branch, and takes its background processes with it', async () => {
    const fleet = createRoot();
    // The named tokens file away from the token's folder, so hiding that folder does not hide it too.
    const tokensFile = join(fleet.sandbox.root, 'secrets', 'tokens.json');
    addNamedToken(fleet.sandbox, 'probe', { file: tokensFile });
    expect(existsSync(tokensFile)).toBe(true);
    const server = await startFleetServer(fleet, { [ENVIRON_MARKER]: 'present', FLEET_MCP_TOKENS_FILE: tokensFile });
    await runTask(server, 'other', 'open', 'echo theirs > other.txt');
    const otherWorktree = join(fleet.dataDir, 'worktrees', 'other');
    expect(existsSync(join(otherWorktree, 'other.txt'))).toBe(true);

    // The control: the same probes unsandboxed reach everything, so each one can tell.
    const openTag = `${Math.floor(Math.random() * 1e6) + 1e6}.5`;
    const open = await runTask(server, 'control', 'open', probes(fleet, server, otherWorktree, openTag, tokensFile));
    expect(open.task.status).toBe('completed');
    expect(open.lines).toEqual(expect.arrayContaining([...ESCAPES, 'SEES-SERVER-PORT', 'COMMITTED', 'DONE']));
    expect(hostHasProcess(openTag)).toBe(true);
    killHostProcess(openTag);
    rmSync(join(fleet.repo, 'escaped.txt'));
    rmSync(join(fleet.sandbox.root, 'escaped.txt'));
    rmSync(join(fleet.dataDir, 'worktrees', 'escaped.txt'));

    const tag = `${Math.floor(Math.random() * 1e6) + 1e6}.5`;
    const jailed = await runTask(server, 'jailed', 'jailed', probes(fleet, server, otherWorktree, tag, tokensFile));
    expect(jailed.task).toMatchObject({ status: 'completed', exit_code: 0 });
    expect(jailed.lines).toContain('sandboxed by bwrap, network on, host loopback ports: none');
    expect(jailed.lines).toEqual(expect.arrayContaining(['COMMITTED', 'DONE']));
    for (const marker of [...ESCAPES, 'SEES-SERVER-PORT']) expect(jailed.lines).not.toContain(marker);
    expect(existsSync(join(fleet.repo, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(fleet.sandbox.root, 'escaped.txt'))).toBe(false);
    expect(
      execFileSync('git', ['log', '--format=%s', 'fleet/jailed'], { cwd: fleet.repo, encoding: 'utf8' }).split('\n')[0],
    ).toBe('sandboxed commit');
    expect(execFileSync('git', ['show', 'fleet/jailed:mine.txt'], { cwd: fleet.repo, encoding: 'utf8' })).toBe(
      'work\n',
    );
    expect(hostHasProcess(tag)).toBe(false);
    await server.server.stop();
  });

  it('a role may turn the network off: the sandbox then has a network of its own', async () => {
    const fleet = createRoot();
    const server = await startFleetServer(fleet);
    const offline = await runTask(
      server,
      'offline',
      'offline',
      probes(fleet, server, '/nonexistent', '1999999.5', join(fleet.sandbox.configDir, 'tokens.json')),
    );
    expect(offline.lines).toContain('sandboxed by bwrap, network off');
    expect(offline.lines).toEqual(expect.arrayContaining(['COMMITTED', 'DONE']));
    expect(offline.lines).not.toContain('SEES-SERVER-PORT');
    await server.server.stop();
  });

  it('a cancel reaches the sandboxed CLI, which gets its grace to end its work', async () => {
    const fleet = createRoot();
    const server = await startInProcessFleetServer(fleet);
    const script =
      "trap 'echo got INT; sleep 0.5; echo ended gracefully; exit 130' INT\necho ready\nwhile :; do sleep 0.1; done";
    await server.ok('create_agent', { name: 'jailed', project: 'repo', role: 'jailed', task: script });
    await expect
      .poll(
        async () =>
          (await server.ok('show_agent_log', { name: 'jailed' })).lines.map((line: { text: string }) => line.text),
        { timeout: 10_000 },
      )
      .toContain('ready');
    await server.ok('cancel_agent_task', { name: 'jailed' });
    const waited = await server.ok('wait_for_agent', { name: 'jailed', timeout_seconds: 30 });
    expect(waited.agent.last_task).toMatchObject({ status: 'canceled' });
    const log = await server.ok('show_agent_log', { name: 'jailed', page_size: 200 });
    expect(log.lines.map((line: { text: string }) => line.text)).toEqual(
      expect.arrayContaining(['got INT', 'ended gracefully']),
    );
    await server.server.stop();
  });

  it('a sandbox that cannot be laid out fails the task before it starts, saying why', async () => {
    const fleet = createRoot();
    const server = await startInProcessFleetServer(fleet);
    const error = await server.fails('create_agent', {
      name: 'broken',
      project: 'repo',
      role: 'broken',
      task: `echo ran > ${fleet.sandbox.root}/ran.txt`,
    });
    expect(error).toContain('its sandbox could not be prepared: ');
    expect(error).toContain('/etc/hostname/fleet-mcp-state');
    expect(existsSync(join(fleet.sandbox.root, 'ran.txt'))).toBe(false);
    await server.server.stop();
  });

  it('without bwrap on PATH a role that asks for the sandbox fails to start its task with one line saying what to install', async () => {
    const fleet = createRoot();
    // A PATH with git and node but no bwrap.
    const bin = join(fleet.sandbox.root, 'bin');
    mkdirSync(bin);
    for (const tool of ['git', 'node'])
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    // The real process: which PATH it looks for bwrap on is its own.
    const server = await startFleetServer(fleet, { PATH: bin });
    expect(server.server.output()).toContain('the built-in presets run unsandboxed');
    const error = await server.fails('create_agent', {
      name: 'jailed',
      project: 'repo',
      role: 'jailed',
      task: `echo ran > ${fleet.sandbox.root}/ran.txt`,
    });
    expect(error).toContain(
      'role "jailed" runs sandboxed, and bwrap was not found on PATH: install the bubblewrap package',
    );
    const agent = await server.ok('show_agent', { name: 'jailed' });
    expect(agent).toMatchObject({ status: 'failed', last_task: { status: 'failed' } });
    expect(existsSync(join(fleet.sandbox.root, 'ran.txt'))).toBe(false);
    await server.server.stop();
  });
});
