import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isSea } from 'node:sea';
import { writeFileAtomicSync } from '../../../fs/atomic-file.js';
import { USER_NET_SOURCE } from './user-net-source.js';

/** The hidden command a single executable runs the supervisor through, as it cannot run a script file. */
export const SUPERVISOR_COMMAND = '__task-supervisor';

/**
 * The task supervisor: the first process of a task's group, it runs the agent CLI with its output going straight
 * to files and records the CLI's exit status in a file when it ends. Nothing ties it to the server, so a task lives
 * on through a restart, a crash or an upgrade of the server, and its outcome is known even if no server watched it
 * end. Plain CommonJS with Node's own modules only, so it runs from the data dir with no bundle around it.
 */
export const SUPERVISOR_SOURCE = `'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const spec = JSON.parse(process.argv[process.argv.length - 1]);
// What reached this process without close-on-exec (an fd the server's own parent left open) must not reach the CLI.
function closeInheritedFds() {
  let names;
  try { names = fs.readdirSync('/proc/self/fd'); } catch { return; }
  for (const name of names) {
    if (Number(name) <= 2) continue;
    let info;
    try { info = fs.readFileSync('/proc/self/fdinfo/' + name, 'utf8'); } catch { continue; }
    const flags = /^flags:\\s*([0-7]+)$/m.exec(info);
    if (flags && (parseInt(flags[1], 8) & 0o2000000) === 0) fs.closeSync(Number(name));
  }
}
closeInheritedFds();
// A cancel signals the whole group, this process too: it stays to record how the CLI ended.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
function record(status) {
  const text = JSON.stringify({ ...status, ended_at: new Date().toISOString() });
  const fd = fs.openSync(spec.exit + '.tmp', 'w', 0o600);
  fs.writeSync(fd, text);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(spec.exit + '.tmp', spec.exit);
  process.exit(0);
}
let child;
let netFailure = null;
try {
  const out = fs.openSync(spec.stdout, 'a', 0o600);
  const err = fs.openSync(spec.stderr, 'a', 0o600);
  // Files the CLI's launcher reads at fd 3, 4, …: bwrap's seccomp filter, which bwrap closes once read.
  const inputs = (spec.inputs || []).map((file) => fs.openSync(file, 'r'));
  const stdio = ['ignore', out, err, ...inputs];
  child = spec.net
    ? spawnWithUserNet(spec, stdio, (reason) => { netFailure = reason; })
    : spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, stdio });
  for (const fd of [out, err, ...inputs]) fs.closeSync(fd);
} catch (error) {
  record({ exit_code: null, signal: null, spawn_error: error.message });
}
child.once('error', (error) => { if (child.pid === undefined) record({ exit_code: null, signal: null, spawn_error: error.message }); });
child.once('exit', (code, signal) => record({ exit_code: code, signal: signal, spawn_error: netFailure }));
${USER_NET_SOURCE}`;

/** Puts the supervisor script in the data dir (rewritten only when it changed) and returns its path. */
export function installSupervisor(dataDir: string): string {
  const file = join(dataDir, 'task-supervisor.cjs');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== SUPERVISOR_SOURCE)
    writeFileAtomicSync(file, SUPERVISOR_SOURCE);
  return file;
}

/** The command that starts the supervisor; the task's spec follows as the last argument. */
export function supervisorArgv(scriptFile: string): string[] {
  return isSea() ? [process.execPath, SUPERVISOR_COMMAND] : [process.execPath, scriptFile];
}

/** Runs the supervisor inside a single executable, which only has Node's own modules to give it. */
export function runEmbeddedSupervisor(): void {
  new Function('require', SUPERVISOR_SOURCE)(createRequire(process.execPath));
}
