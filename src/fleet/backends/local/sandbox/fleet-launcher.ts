import { bwrapIsolation, type BwrapStatus } from './bwrap.js';
import { AgentLauncher } from './launcher.js';
import type { UserNetStatus } from './user-net.js';

/** How the fleet sandboxes its agents; left out, only roles and projects that ask for the sandbox get it. */
export interface SandboxSettings {
  /** Besides the data dir, what sandboxed agents must not see (the server's token, named tokens, fleet config). */
  hidden?: string[];
  /** Whether the built-in presets run sandboxed unless their role or project says otherwise, where bwrap works. */
  presetsByDefault?: boolean;
  /** bwrap's state if already probed; otherwise it is probed on the PATH of the agents' environment when first needed. */
  bwrap?: BwrapStatus;
  /** pasta's state if already probed, like bwrap's. */
  userNet?: UserNetStatus;
}

export function createFleetLauncher(options: {
  dataDir: string;
  baseEnv: NodeJS.ProcessEnv;
  sandbox?: SandboxSettings;
}): AgentLauncher {
  return new AgentLauncher({
    hidden: [options.dataDir, ...(options.sandbox?.hidden ?? [])],
    presetsByDefault: options.sandbox?.presetsByDefault ?? false,
    isolation: bwrapIsolation(options.sandbox?.bwrap, options.baseEnv.PATH, options.dataDir, options.sandbox?.userNet),
    pathEnv: options.baseEnv.PATH,
  });
}
