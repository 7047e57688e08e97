import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../../src/fleet/executables.js';

/**
 * A folder of links to the tools the server, git and the sandbox need (bwrap and pasta unless left out), and node, so
 * a PATH of it and a test's own folders holds no agent CLI of this host's.
 */
export function toolsPath(root: string, options: { sandbox?: boolean } = {}): string {
  const tools = join(root, 'tools');
  mkdirSync(tools);
  const sandboxTools = options.sandbox === false ? [] : ['bwrap', 'pasta'];
  for (const tool of ['git', 'env', 'sh', 'bash', 'true', ...sandboxTools]) {
    const found = findExecutable(tool, { pathEnv: process.env.PATH, cwd: '/' });
    if (found) symlinkSync(found, join(tools, tool));
  }
  symlinkSync(process.execPath, join(tools, 'node'));
  return tools;
}
