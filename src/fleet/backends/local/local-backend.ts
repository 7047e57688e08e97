import type { FleetBackend } from '../../backend.js';
import { LOCAL_BACKEND } from '../backends-config.js';
import { KeyedLock } from '../../keyed-lock.js';
import { reattachProcess, runProcess } from '../../tasks/runner.js';
import type { Store } from '../../store.js';
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
    prepareWorkspace: (agent, project, base) =>
      prepareLocalWorkspace({
        agentName: agent.name,
        project,
        worktreePath: store.worktreePath(agent.name),
        repoLocks,
        base,
        onEngine: agent.backend !== LOCAL_BACKEND,
      }),
    setupWorkspace: (record, project, env, onLine, options) => {
      // The project's setup prepares a checkout of this host; an agent on an engine has its own clone there.
      if (record.agent.backend === LOCAL_BACKEND) return setupLocalWorkspace(record, project, env, onLine, options);
      onLine(
        'system',
        `the project's worktree setup is not run for agents on backend "${record.agent.backend}": its image must hold what the setup would give`,
      );
      return Promise.resolve();
    },
    ...createLocalLanding(repoLocks, placeOf),
    gitContext: agentGitContext,
    taskChanges: (record, head) => localTaskChanges(record, head, { placeOf, repoLocks }),
    startProcess: runProcess,
    reattachProcess,
  };
}
