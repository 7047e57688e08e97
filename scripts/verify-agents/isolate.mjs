// Runs the checks in a network namespace of their own, where only loopback exists: a CLI that tried to reach
// anything but the mock would fail instead of quietly calling home. Needs unshare(1) and ip(8); without them (or
// without the right to create namespaces) the checks run on the host network, still pointed at the mock.
import { spawnSync } from 'node:child_process';

const LOOPBACK_UP = 'ip link set lo up';

function unshareArgs() {
  return process.getuid?.() === 0 ? ['--net'] : ['--net', '--map-root-user'];
}

/** Whether a loopback-only namespace can be made here. */
export function canIsolate() {
  const probe = spawnSync('unshare', [...unshareArgs(), '--', 'sh', '-c', LOOPBACK_UP], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Runs this script again inside the namespace and returns its exit code. */
export function rerunIsolated(argv) {
  const result = spawnSync('unshare', [...unshareArgs(), '--', 'sh', '-c', `${LOOPBACK_UP} && exec "$0" "$@"`, process.execPath, ...argv], {
    stdio: 'inherit',
  });
  return result.status ?? 1;
}
