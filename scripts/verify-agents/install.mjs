// Installs an agent CLI from the npm registry into a per-version cache outside the repository.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function cacheRoot() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fleet-mcp', 'verify-agents');
}

/** The directory holding the CLI's executable; installs the pinned version once, then reuses it. */
export async function installCli(cli) {
  const prefix = join(cacheRoot(), `${cli.name}@${cli.version}`);
  const binDir = join(prefix, 'node_modules', '.bin');
  if (existsSync(join(binDir, cli.binary))) return binDir;
  mkdirSync(prefix, { recursive: true });
  await run(
    'npm',
    ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `${cli.npmPackage}@${cli.version}`],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (!existsSync(join(binDir, cli.binary)))
    throw new Error(`${cli.npmPackage}@${cli.version} installed no ${cli.binary} executable`);
  return binDir;
}
