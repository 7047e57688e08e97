import type { FleetBackend } from '../backend.js';
import { forgetAgent } from '../forget.js';
import { KeyedLock } from '../keyed-lock.js';
import { runProcess } from '../runner.js';
import type { Store } from '../store.js';
import { localGitContext, localTaskChanges } from './git-summary.js';
import { setupLocalWorkspace } from './workspace-setup.js';
import { prepareLocalWorkspace, repoLockKey, resolveLocalBase } from './workspaces.js';

/** Agents as process groups on this host, each in its own git worktree under the data dir. */
export function createLocalBackend(store: Store): FleetBackend {
  const repoLocks = new KeyedLock();
  return {
    resolveBase: resolveLocalBase,
    prepareWorkspace: (agentName, project, base) =>
      prepareLocalWorkspace({ agentName, project, worktreePath: store.worktreePath(agentName), repoLocks, base }),
    setupWorkspace: setupLocalWorkspace,
    forgetAgent: async (store, key, record, logger) => {
      if (!record.git) return forgetAgent(store, key, record, logger);
      return repoLocks.run(await repoLockKey(record.git.repo_root), () => forgetAgent(store, key, record, logger));
    },
    gitContext: localGitContext,
    taskChanges: localTaskChanges,
    startProcess: runProcess,
  };
}
