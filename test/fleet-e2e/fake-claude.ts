import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FleetSandbox } from './fleet-server.js';

/** The fake claude on PATH as the `claude` preset, under /var/tmp, with its role kept out of the sandbox. */
export function withFakeClaude(sandbox: FleetSandbox): { sandbox: FleetSandbox; path: string; cleanup(): void } {
  const root = mkdtempSync('/var/tmp/fleet-e2e-claude-');
  cpSync(fileURLToPath(new URL('../fakes/', import.meta.url)), join(root, 'fakes'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  symlinkSync(join(root, 'fakes', 'claude.mjs'), join(root, 'bin', 'claude'));
  const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
  config.roles.claude = { sandbox: false };
  writeFileSync(sandbox.configFile, JSON.stringify(config));
  return {
    sandbox,
    path: `${join(root, 'bin')}:${process.env.PATH}`,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
