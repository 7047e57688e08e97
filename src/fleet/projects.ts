import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { expandPath } from '../paths.js';

export interface Project {
  name: string;
  /** Absolute path of an existing directory. */
  path: string;
  description: string;
}

export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const projectEntrySchema = z.strictObject({
  path: z.string().trim().min(1, { error: '"path" must not be empty' }),
  description: z.string().default(''),
});

export type ProjectEntry = z.infer<typeof projectEntrySchema>;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Turns the config file's project entries into projects; relative paths are taken from the file's folder. */
export function resolveProjects(entries: Record<string, ProjectEntry>, configFile: string): Project[] {
  return Object.entries(entries).map(([name, entry]) => {
    const path = expandPath(entry.path, dirname(configFile));
    if (!isDirectory(path)) throw new Error(`project "${name}": ${path} is not an existing directory`);
    return { name, path, description: entry.description };
  });
}

/** With no fleet config, the directory the server was started in is the one project. */
export function defaultProject(cwd: string): Project {
  return { name: basename(cwd) || 'root', path: cwd, description: 'The directory the server was started in.' };
}
