import { assertPrintable, execWord, unitWord } from './escape.js';

export type UnitKind = 'user' | 'system';

export interface UnitOptions {
  kind: UnitKind;
  /** The absolute command that runs this install of fleet-mcp, before the `serve` argument. */
  command: readonly string[];
  workingDirectory: string;
  /** Variables for the service, in order; never a secret (a token is read from the token file). */
  environment: ReadonlyArray<readonly [string, string]>;
  /** Paths agents and the server must be able to write under ProtectSystem=strict; `optional` ones may be absent. */
  writablePaths: ReadonlyArray<{ path: string; optional: boolean }>;
  /** The account a system unit runs as; user units run as the user whose manager starts them. */
  user: string;
  version: string;
}

export const SYSTEM_STATE_DIRECTORY = 'fleet-mcp';

function header(options: UnitOptions): string[] {
  return [
    `# fleet-mcp ${options.kind} service, printed by \`fleet-mcp systemd --${options.kind}\` (fleet-mcp ${options.version}).`,
    '[Unit]',
    'Description=fleet-mcp: MCP server that runs a fleet of coding agents',
    'Documentation=man:systemd.exec(5)',
    ...(options.kind === 'system' ? ['After=network.target'] : []),
    '',
  ];
}

function environmentLine(name: string, value: string): string {
  // Checked alone first, so a refusal shows the value as the user wrote it.
  assertPrintable(value, `the value of ${name}`);
  return `Environment=${unitWord(`${name}=${value}`, `the variable ${name}`)}`;
}

function service(options: UnitOptions): string[] {
  return [
    '[Service]',
    'Type=exec',
    ...(options.kind === 'system' ? [`User=${unitWord(options.user, 'the user name')}`] : []),
    `WorkingDirectory=${unitWord(options.workingDirectory, 'the working directory')}`,
    `ExecStart=${[...options.command, 'serve'].map((word) => execWord(word, 'the command')).join(' ')}`,
    ...options.environment.map(([name, value]) => environmentLine(name, value)),
    'Restart=on-failure',
    'RestartSec=2s',
    '# serve lets requests in flight finish for up to 10 s after SIGTERM, then exits 0.',
    'TimeoutStopSec=20s',
    '# Stop and restart end only the server: running agents go on, and the next start follows them again and records',
    '# how they ended. `systemctl kill` (every process of the unit) or FLEET_MCP_STOP_AGENTS_ON_EXIT=true stop them.',
    'KillMode=process',
    ...(options.kind === 'system' ? [`StateDirectory=${SYSTEM_STATE_DIRECTORY}`, 'StateDirectoryMode=0700'] : []),
    'UMask=0077',
    '',
  ];
}

/**
 * Hardening that still lets agents work: they run git, editors and agent CLIs that write to the projects, the
 * data dir and their own files in the home directory, so those stay writable and ProtectHome= is not set.
 */
function hardening(options: UnitOptions): string[] {
  return [
    '# Sandbox: the system is read-only except the paths agents and the server write to.',
    ...(options.kind === 'user'
      ? ['# The per-user manager can only set up the mount sandbox inside a user namespace.', 'PrivateUsers=yes']
      : []),
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=strict',
    ...options.writablePaths.map(
      ({ path, optional }) => `ReadWritePaths=${optional ? '-' : ''}${unitWord(path, 'the writable path')}`,
    ),
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'LockPersonality=yes',
    '',
  ];
}

function install(options: UnitOptions): string[] {
  return ['[Install]', `WantedBy=${options.kind === 'system' ? 'multi-user.target' : 'default.target'}`];
}

/** Renders the unit file text; everything in it comes from `options`, so the same facts give the same unit. */
export function renderUnit(options: UnitOptions): string {
  return [...header(options), ...service(options), ...hardening(options), ...install(options), ''].join('\n');
}
