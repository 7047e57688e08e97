import type { FleetBackend } from '../backend.js';
import { KeyedLock } from '../keyed-lock.js';
import { reattachProcess, runProcess } from '../runner.js';
import type { Store } from '../store.js';
import { localGitContext, localTaskChanges } from './git-summary.js';
import { createLocalLanding } from './landing.js';
import { setupLocalWorkspace } from './workspace-setup.js';
import { prepareLocalWorkspace, resolveLocalBase } from './workspaces.js';

/** Agents as process groups on this host, each in its own git worktree under the data dir. */
export function createLocalBackend(store: Store): FleetBackend {
  const repoLocks = new KeyedLock();
  return {
    resolveBase: resolveLocalBase,
    prepareWorkspace: (agentName, project, base) =>
      prepareLocalWorkspace({ agentName, project, worktreePath: store.worktreePath(agentName), repoLocks, base }),
    setupWorkspace: setupLocalWorkspace,
    ...createLocalLanding(repoLocks),
    gitContext: localGitContext,
    taskChanges: localTaskChanges,
    startProcess: runProcess,
    reattachProcess,
  };
}
