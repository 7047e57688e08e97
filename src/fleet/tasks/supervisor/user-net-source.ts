import { NET_BLOCK_FD, NET_INFO_FD } from '../../backends/local/sandbox/user-net.js';

/**
 * The part of the task supervisor that gives a sandbox its network (see launch/user-net.ts), plain CommonJS like the
 * rest of it. `spec.argv` is bwrap, told to write its sandbox's pid to descriptor NET_INFO_FD and to wait on
 * NET_BLOCK_FD before it starts the CLI. pasta is attached to that pid's network namespace, through descriptors the
 * supervisor opens, and writes `spec.net.ready` once the network is up; only then does bwrap go on. pasta runs in the
 * task's process group (a group kill ends it) and is ended here as soon as bwrap has exited. Should pasta fail,
 * bwrap is killed before the CLI starts, and `onFailure` gets the reason.
 */
export const USER_NET_SOURCE = `
function spawnWithUserNet(spec, inherited, onFailure) {
  if (inherited.length !== ${NET_INFO_FD}) throw new Error('the sandbox expects its seccomp filter, and nothing else, before its network descriptors');
  const stdio = [...inherited];
  stdio[${NET_INFO_FD}] = 'pipe';
  stdio[${NET_BLOCK_FD}] = 'pipe';
  const sandbox = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, stdio });
  let pasta = null;
  let pid = null;
  const fail = (reason) => {
    onFailure(reason);
    // The sandbox's first process first: bwrap takes the end of its wait descriptor as a go, and that end comes when
    // this process exits after recording the failure.
    if (pid !== null && sandbox.exitCode === null && sandbox.signalCode === null) try { process.kill(pid, 'SIGKILL'); } catch {}
    sandbox.kill('SIGKILL');
  };
  sandbox.once('exit', () => { if (pasta) pasta.kill('SIGKILL'); });
  let info = '';
  sandbox.stdio[${NET_INFO_FD}].on('data', (chunk) => { info += chunk; });
  // Also at bwrap's failure, with no pid written: its exit is then what the task records.
  sandbox.stdio[${NET_INFO_FD}].once('end', () => {
    try { pid = JSON.parse(info)['child-pid']; } catch { return; }
    try { pasta = attachPasta(spec, pid, () => sandbox.stdio[${NET_BLOCK_FD}].end('1'), fail); } catch (error) { fail('pasta could not be started: ' + error.message); }
  });
  return sandbox;
}

function attachPasta(spec, pid, onReady, fail) {
  const net = fs.openSync('/proc/' + pid + '/ns/net', 'r');
  // bwrap makes a user namespace only where it runs unprivileged; pasta must join it, and cannot join its own.
  const ownUser = fs.readlinkSync('/proc/self/ns/user') === fs.readlinkSync('/proc/' + pid + '/ns/user');
  const user = ownUser ? 'ignore' : fs.openSync('/proc/' + pid + '/ns/user', 'r');
  const log = fs.openSync(spec.stderr, 'a', 0o600);
  fs.writeFileSync(spec.net.ready, '', { mode: 0o600 });
  let ready = false;
  const watcher = fs.watch(spec.net.ready, () => {
    if (ready || fs.readFileSync(spec.net.ready, 'utf8') === '') return;
    ready = true;
    watcher.close();
    onReady();
  });
  const namespaces = [...(ownUser ? [] : ['--userns', '/proc/self/fd/4']), '--netns', '/proc/self/fd/3'];
  const pasta = spawn(spec.net.argv[0], [...spec.net.argv.slice(1), '--pid', spec.net.ready, ...namespaces], { stdio: ['ignore', log, log, net, user] });
  for (const fd of [net, user, log]) if (fd !== 'ignore') fs.closeSync(fd);
  pasta.once('error', (error) => fail('pasta could not be started: ' + error.message));
  pasta.once('exit', (code, signal) => {
    watcher.close();
    if (!ready) fail('pasta could not set up the sandbox\\'s network (it ended with ' + (signal || 'exit code ' + code) + ', see its stderr)');
  });
  return pasta;
}
`;
