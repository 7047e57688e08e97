import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Finds the file a spawn of `command` would run, the way execvp searches PATH, so a missing agent CLI is
 * reported as such before anything starts. Returns null when there is none.
 */
export function findExecutable(command: string, options: { pathEnv: string | undefined; cwd: string }): string | null {
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(options.cwd, command);
    return isExecutableFile(file) ? file : null;
  }
  for (const dir of (options.pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
