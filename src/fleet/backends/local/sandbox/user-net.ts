import { accessSync, constants, readFileSync } from 'node:fs';
import { findExecutable } from '../../../executables.js';

/**
 * A sandbox with network on gets a network namespace of its own, given outbound access by pasta (of passt): the
 * host's loopback stays out of reach, but for the ports its role lists. bwrap makes the namespace and waits; the
 * task supervisor attaches pasta to it and lets bwrap go on once pasta has set it up (supervisor/supervisor-sh.ts).
 */

/** Whether pasta can give sandboxes a network here: its path, or the one line that says what to install. */
export type UserNetStatus = { path: string; problem?: never } | { path?: never; problem: string };

/** pasta and its options; the supervisor adds the sandbox's namespaces and the file pasta writes once it is ready. */
export interface UserNetwork {
  argv: string[];
}

/**
 * The descriptors bwrap gets from the supervisor: it writes the sandbox's pid to the first, waits on the second.
 * After the seccomp filter's, at 3 (bwrap.ts).
 */
export const NET_INFO_FD = 4;
export const NET_BLOCK_FD = 5;

const INSTALL_HINT =
  'install the passt package, which has pasta (Debian/Ubuntu: apt-get install passt; Fedora: dnf install passt), or give the role "sandbox": { "network": false }';
const TUN = '/dev/net/tun';

/** Looks for pasta on PATH and for the tun device it needs, so a host without them is known before any task. */
export function probeUserNet(pathEnv: string | undefined): UserNetStatus {
  const path = findExecutable('pasta', { pathEnv, cwd: '/' });
  if (!path) return { problem: `pasta was not found on PATH (a sandbox with network on needs it): ${INSTALL_HINT}` };
  try {
    accessSync(TUN, constants.R_OK | constants.W_OK);
  } catch {
    return {
      problem: `pasta cannot open ${TUN} (a sandbox with network on needs it): let this user read and write it (most distributions make it mode 0666), or give the role "sandbox": { "network": false }`,
    };
  }
  return { path };
}

/**
 * pasta forwarding nothing into the sandbox and, out of it to the host's loopback, only `ports` (TCP). Its defaults
 * would forward every port the host listens on (`auto`) and map the gateway's address to the host's loopback.
 * The supervisor ends it when the sandbox ends; a cancel's SIGINT and SIGTERM are for the CLI, so it ignores them.
 */
export function userNetwork(tools: { pasta: string; env: string }, ports: readonly number[]): UserNetwork {
  return {
    argv: [
      tools.env,
      '--ignore-signal=INT,TERM',
      tools.pasta,
      '--foreground',
      '--quiet',
      '--config-net',
      '--no-map-gw',
      '--tcp-ports',
      'none',
      '--udp-ports',
      'none',
      '--tcp-ns',
      ports.length > 0 ? ports.join(',') : 'none',
      '--udp-ns',
      'none',
      // As root it would switch to nobody, who may not enter the sandbox's namespaces.
      ...(process.getuid?.() === 0 ? ['--runas', '0'] : []),
    ],
  };
}

/**
 * The resolvers of `resolvConf` on the host's loopback (systemd-resolved's 127.0.0.53, a local dnsmasq): the sandbox
 * reads the same file but has a loopback of its own, so where these are all there is, its agents cannot resolve names.
 */
export function loopbackResolvers(resolvConf = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(resolvConf, 'utf8');
  } catch {
    return [];
  }
  const servers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((match) => match[1]!);
  const loopback = servers.filter((server) => server.startsWith('127.') || server === '::1');
  return loopback.length === servers.length ? loopback : [];
}
