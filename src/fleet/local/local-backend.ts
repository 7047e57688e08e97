import type { FleetBackend } from '../backend.js';
import { forgetAgent } from '../forget.js';
import { KeyedLock } from '../keyed-lock.js';
import { reattachProcess, runProcess } from '../runner.js';
import type { Store } from '../store.js';
import { localGitContext, localTaskChanges } from './git-summary.js';
import { prepareLocalWorkspace, repoLockKey } from './workspaces.js';

/** Agents as process groups on this host, each in its own git worktree under the data dir. */
export function createLocalBackend(store: Store): FleetBackend {
  const repoLocks = new KeyedLock();
  return {
    prepareWorkspace: (agentName, project) =>
      prepareLocalWorkspace({ agentName, project, worktreePath: store.worktreePath(agentName), repoLocks }),
    forgetAgent: async (store, key, record, logger) => {
      if (!record.git) return forgetAgent(store, key, record, logger);
      return repoLocks.run(await repoLockKey(record.git.repo_root), () => forgetAgent(store, key, record, logger));
    },
    gitContext: localGitContext,
    taskChanges: localTaskChanges,
    startProcess: runProcess,
    reattachProcess,
  };
}
