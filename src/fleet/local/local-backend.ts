import type { FleetBackend } from '../backend.js';
import { forgetAgent } from '../forget.js';
import { runProcess } from '../runner.js';
import type { Store } from '../store.js';
import { prepareLocalWorkspace } from './workspaces.js';

/** Agents as process groups on this host, each in its own git worktree under the data dir. */
export function createLocalBackend(store: Store): FleetBackend {
  return {
    prepareWorkspace: (agentName, project) => prepareLocalWorkspace({ agentName, project, worktreePath: store.worktreePath(agentName) }),
    forgetAgent,
    startProcess: runProcess,
  };
}
