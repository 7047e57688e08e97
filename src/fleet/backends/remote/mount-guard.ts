import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import type { BackendsConfig } from '../backends-config.js';

/** A path of the server's that no agent's container may see, and what it holds, for the refusal. */
export interface GuardedPath {
  path: string;
  what: string;
}

/**
 * Why a backend's read-only mount would show its containers what the server keeps from agents (the data dir, with
 * the key every task's git credential derives from; the token files), or null. A source that holds one of them, or
 * lies inside one, shows it; links are followed as the engine follows them. Paths are compared as this host has
 * them, which is also where a local engine finds them.
 */
export function mountExposure(backends: BackendsConfig, guarded: GuardedPath[]): string | null {
  for (const [name, backend] of Object.entries(backends)) {
    for (const mount of backend.mounts) {
      const source = real(mount.source);
      const hit = guarded.find((entry) => contains(source, real(entry.path)) || contains(real(entry.path), source));
      if (hit)
        return `backend "${name}" mounts ${mount.source}, which would show its containers ${hit.what} (${hit.path}): mount a folder that neither holds it nor lies in it`;
    }
  }
  return null;
}

function contains(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
