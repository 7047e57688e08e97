import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bwrapIsolation, probeBwrap, type SandboxSpec } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { AgentLauncher } from '../../src/fleet/backends/local/sandbox/launcher.js';
import { seccompFilter } from '../../src/fleet/backends/local/sandbox/seccomp.js';
import { resolveRoles, rolesConfigSchema } from '../../src/fleet/roles.js';

// The seccomp filter against the real kernel, in the real bwrap, loaded the way a task gets it (the file the
// isolation names, opened at fd 3): each probe prints "ok" or the errno it got, and runs once outside the sandbox
// as the control.

const BWRAP = probeBwrap(process.env.PATH);
const dir = mkdtempSync('/var/tmp/fleet-mcp-seccomp-test-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOCKET_NR: Record<string, number> = { x64: 41, arm64: 198 };
const EACCES = 13;
const EPERM = 1;

/** Perl is part of every Debian and Ubuntu base system, and calls any syscall by number. */
const SYSCALLS = `
use Socket;
sub report { my ($name, $ok) = @_; print "$name ", ($ok ? "ok" : "errno=" . ($! + 0)), "\\n"; }
report('unix', socket(my $a, AF_UNIX, SOCK_STREAM, 0));
report('unix-dgram', socket(my $b, AF_UNIX, SOCK_DGRAM, 0));
report('unix-high-bits', syscall($ARGV[0], 0x100000001, SOCK_STREAM, 0) >= 0);
report('inet', socket(my $c, AF_INET, SOCK_STREAM, 0));
report('pair-stream', socketpair(my $d, my $e, AF_UNIX, SOCK_STREAM, 0));
report('pair-seqpacket', socketpair(my $f, my $g, AF_UNIX, SOCK_SEQPACKET, 0));
report('pair-dgram', socketpair(my $h, my $i, AF_UNIX, SOCK_DGRAM, 0));
my $params = "\\0" x 120;
report('io-uring', syscall(425, 1, $params) >= 0);
`;

/** What Node needs: child stdio (socketpairs) and TCP on loopback; and a unix socket by path and abstract name. */
const NODE = `
const net = require('node:net');
const { execFileSync } = require('node:child_process');
console.log('child-stdio ' + execFileSync('echo', ['ok']).toString().trim());
const server = net.createServer((socket) => socket.end('ok')).listen(0, '127.0.0.1', () => {
  net.connect(server.address().port, '127.0.0.1').on('data', (data) => { console.log('tcp ' + data); server.close(); });
});
for (const path of ['/var/tmp/no-such.sock', '\\0fleet-mcp-no-such']) net.connect(path).on('error', (error) => console.log('unix-connect ' + error.code));
`;

function sandboxed(argv: string[], unixSockets: boolean): SpawnSyncReturns<string> {
  const isolation = bwrapIsolation(BWRAP, process.env.PATH, dir);
  // Network off: loopback only, with no pasta to attach (the supervisor's part).
  const spec: SandboxSpec = { mounts: [], network: false, ports: [], unixSockets, cwd: '/' };
  const [command, ...args] = isolation.wrap(spec, argv).argv;
  const fds = isolation.inputFiles(spec).map((file) => openSync(file, 'r'));
  try {
    return spawnSync(command!, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe', ...fds] });
  } finally {
    fds.forEach(closeSync);
  }
}

function lines(run: SpawnSyncReturns<string>): string[] {
  expect(run.stderr).toBe('');
  return run.stdout.trim().split('\n').sort();
}

const perl = ['perl', '-e', SYSCALLS, String(SOCKET_NR[process.arch])];

describe.skipIf(BWRAP.problem !== undefined && !process.env.CI)('the sandbox seccomp filter', () => {
  it('refuses unix sockets and datagram socketpairs with EACCES and io_uring with EPERM; stream pairs and TCP stay', () => {
    const control = lines(spawnSync(perl[0]!, perl.slice(1), { encoding: 'utf8' }));
    expect(control).toEqual([
      'inet ok',
      'io-uring ok',
      'pair-dgram ok',
      'pair-seqpacket ok',
      'pair-stream ok',
      'unix ok',
      'unix-dgram ok',
      'unix-high-bits ok',
    ]);
    expect(lines(sandboxed(perl, false))).toEqual([
      'inet ok',
      `io-uring errno=${EPERM}`,
      `pair-dgram errno=${EACCES}`,
      'pair-seqpacket ok',
      'pair-stream ok',
      `unix errno=${EACCES}`,
      `unix-dgram errno=${EACCES}`,
      `unix-high-bits errno=${EACCES}`,
    ]);
    expect(lines(sandboxed([process.execPath, '-e', NODE], false))).toEqual([
      'child-stdio ok',
      'tcp ok',
      'unix-connect EACCES',
      'unix-connect EACCES',
    ]);
  });

  it('lets a role that allows unix sockets have them, io_uring still refused', () => {
    expect(lines(sandboxed(perl, true))).toEqual([
      'inet ok',
      `io-uring errno=${EPERM}`,
      'pair-dgram ok',
      'pair-seqpacket ok',
      'pair-stream ok',
      'unix ok',
      'unix-dgram ok',
      'unix-high-bits ok',
    ]);
  });

  it.runIf(process.arch === 'x64')('kills a process that makes an x32 syscall, whose numbers it does not match', () => {
    const x32Getpid = ['perl', '-e', 'syscall(0x40000000 | 39); print "survived\\n"'];
    // bwrap's init reports the CLI's death by signal as 128 + its number.
    expect(sandboxed(x32Getpid, false)).toMatchObject({ status: 128 + constants.signals.SIGSYS, stdout: '' });
  });

  it('knows no CPU but x64 and arm64', () => {
    expect(seccompFilter({ arch: 'riscv64', unixSockets: false })).toBeNull();
    expect(seccompFilter({ arch: 'x64', unixSockets: false })!.length % 8).toBe(0);
  });

  it("does not pass the filter's fd on to the CLI: bwrap closes it once read", () => {
    // Only fd 3 is looked at: what else this test process inherited is the server's and the supervisor's to close.
    const run = sandboxed(['/bin/sh', '-c', 'ls /proc/$$/fd; true'], false);
    expect(lines(run)).toEqual(expect.arrayContaining(['0', '1', '2']));
    expect(lines(run)).not.toContain('3');
  });
});

describe('a filter file that cannot be loaded', () => {
  it.skipIf(BWRAP.problem !== undefined)('stops the sandbox from starting, rather than running it unfiltered', () => {
    const file = join(dir, 'broken.bpf');
    // A jump past the program's end: the kernel refuses it.
    writeFileSync(file, Buffer.from([0x15, 0, 9, 0, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]));
    const isolation = bwrapIsolation(BWRAP, process.env.PATH, dir);
    const [command, ...args] = isolation.wrap({ mounts: [], network: false, ports: [], unixSockets: false, cwd: '/' }, [
      'true',
    ]).argv;
    const fd = openSync(file, 'r');
    const run = spawnSync(command!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', fd] });
    closeSync(fd);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/seccomp/i);
  });
});

describe('unix_sockets of a role', () => {
  it("is off unless the role says true, is said in the task's note, and takes nothing but a boolean", () => {
    const config = {
      plain: { command: ['x', '{task}'], sandbox: true },
      docker: { command: ['x', '{task}'], sandbox: { unix_sockets: true } },
    };
    const [plain, docker] = resolveRoles(rolesConfigSchema.parse(config), { pathEnv: '' });
    const launcher = new AgentLauncher({
      hidden: [],
      presetsByDefault: false,
      isolation: bwrapIsolation({ path: '/usr/bin/bwrap', env: '/usr/bin/env' }, undefined, dir, {
        path: '/usr/bin/pasta',
      }),
    });
    expect(launcher.prepare(plain!, undefined).note).toBe('sandboxed by bwrap, network on, host loopback ports: none');
    expect(launcher.prepare(docker!, undefined).note).toBe(
      'sandboxed by bwrap, network on, host loopback ports: none, unix sockets allowed',
    );
    expect(
      rolesConfigSchema.safeParse({ a: { command: ['x', '{task}'], sandbox: { unix_sockets: 'yes' } } }).error
        ?.issues[0]?.message,
    ).toBe('sandbox must be true, false or an object with enabled, network, ports, unix_sockets, writable');
  });
});

describe('probeBwrap and the filter', () => {
  it('says so when bwrap works but cannot load the filter', () => {
    const bin = join(dir, 'no-seccomp');
    mkdirSync(bin);
    // A bwrap that fails the way it does on a kernel without seccomp filters.
    writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: prctl(PR_SET_SECCOMP): Invalid argument" >&2\nexit 1\n');
    chmodSync(join(bin, 'bwrap'), 0o755);
    expect(probeBwrap(`${bin}:/usr/bin:/bin`).problem).toBe(
      `${join(bin, 'bwrap')} cannot load the sandbox's seccomp filter (bwrap: prctl(PR_SET_SECCOMP): Invalid argument): use a kernel with seccomp filters (CONFIG_SECCOMP_FILTER)`,
    );
  });
});
