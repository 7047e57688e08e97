import type { FleetBackend } from '../backend.js';
import { KeyedLock } from '../keyed-lock.js';
import { reattachProcess, runProcess } from '../runner.js';
import type { Store } from '../store.js';
import { agentGitContext, type PlaceOf } from './agent-git.js';
import { localTaskChanges } from './git-summary.js';
import { createLocalLanding } from './landing.js';
import { setupLocalWorkspace } from './workspace-setup.js';
import { prepareLocalWorkspace, resolveLocalBase } from './workspaces.js';

/**
 * Agents as process groups on this host, each in its own git repository under the data dir; `placeOf` says where
 * git may read an agent's repository (its sandbox, when its tasks run in one).
 */
export function createLocalBackend(store: Store, placeOf: PlaceOf): FleetBackend {
  const repoLocks = new KeyedLock();
  return {
    resolveBase: resolveLocalBase,
    prepareWorkspace: (agentName, project, base) =>
      prepareLocalWorkspace({ agentName, project, worktreePath: store.worktreePath(agentName), repoLocks, base }),
    setupWorkspace: setupLocalWorkspace,
    ...createLocalLanding(repoLocks, placeOf),
    gitContext: agentGitContext,
    taskChanges: (record, head) => localTaskChanges(record, head, { placeOf, repoLocks }),
    startProcess: runProcess,
    reattachProcess,
  };
}
