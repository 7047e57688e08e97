import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config-error.js';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import { assertTrustedParent } from '../fs/ownership.js';
import { loadFleetConfig } from './fleet-config.js';
import { folderProjectName, pathTag } from './projects.js';

export interface AddedProject {
  /** False when a project of the config already has this folder: the file was left as it was. */
  added: boolean;
  name: string;
  path: string;
}

/**
 * Makes `dir` a project of the fleet config `file`, keeping everything else in it. The file is written whole, 0600,
 * by an atomic rename (through a symbolic link to where it points), and its folder is made 0700 when missing. A
 * config that cannot be read or is invalid is refused, never overwritten: the server would refuse it too.
 */
export function addProjectToConfig(file: string, dir: string): AddedProject {
  const path = realpathSync(dir);
  const existing = existsSync(file) ? readExisting(file) : undefined;
  const same = existing?.projects.find((project) => realpathSync(project.path) === path);
  if (same) return { added: false, name: same.name, path };
  const raw = existing?.raw ?? {};
  const projects = (raw.projects ?? {}) as Record<string, unknown>;
  const plain = folderProjectName(path) || 'project';
  const name = plain in projects ? `${plain.slice(0, 57)}-${pathTag(path)}` : plain;
  raw.projects = { ...projects, [name]: { path } };
  writeConfig(existing ? realpathSync(file) : file, raw);
  return { added: true, name, path };
}

function readExisting(file: string): { raw: Record<string, unknown>; projects: { name: string; path: string }[] } {
  try {
    // No client folders: only the projects the file names count.
    const { projects } = loadFleetConfig({ file, required: true, dirs: [] });
    return { raw: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>, projects };
  } catch (error) {
    throw new ConfigError(
      `${(error as Error).message}. Fix it or move it away, then run fleet-mcp init again: init never overwrites a config it cannot use`,
    );
  }
}

function writeConfig(file: string, raw: Record<string, unknown>): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The server refuses a config whose folder others may write: better said now than at its start.
  assertTrustedParent(dir, { what: 'fleet config' });
  writeFileAtomicSync(file, `${JSON.stringify(raw, null, 2)}\n`);
}
