// Runs the checks in a network namespace of their own, where only loopback exists: a CLI that tried to reach
// anything but the mock would fail instead of quietly calling home. Needs unshare(1) and ip(8); without them (or
// without the right to create namespaces) the checks run on the host network, still pointed at the mock.
// A sandbox's pasta wants an interface with a default route to stand for the outside: a veth pair whose both ends
// are in the namespace, so whatever goes that way ends at its other end, never leaving the namespace.
import { spawnSync } from 'node:child_process';

const LOOPBACK_UP = [
  'ip link set lo up',
  'ip link add fleet-out type veth peer name fleet-end',
  'ip addr add 10.87.0.1/30 dev fleet-out',
  'ip addr add 10.87.0.2/30 dev fleet-end',
  'ip link set fleet-out up',
  'ip link set fleet-end up',
  'ip route add default via 10.87.0.2 dev fleet-out',
].join(' && ');

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
  const result = spawnSync(
    'unshare',
    [...unshareArgs(), '--', 'sh', '-c', `${LOOPBACK_UP} && exec "$0" "$@"`, process.execPath, ...argv],
    {
      stdio: 'inherit',
    },
  );
  return result.status ?? 1;
}
