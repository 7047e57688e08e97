import { WorkspaceError } from '../../backend.js';
import { FleetError } from '../../errors.js';
import type { Project } from '../../projects.js';
import { copySetupFiles, runSetupCommand } from '../../review/worktree-setup.js';
import type { AgentRecord } from '../../store.js';
import type { LogStream } from '../../types.js';

/** Output lines of a failed setup command quoted in the error: enough to see why, not a flood. */
const QUOTED_LINES = 20;

/**
 * The project's worktree setup in a new agent worktree: the listed files copied from the project's main checkout
 * (a missing one is noted, not an error: a fresh clone may have no .env yet), then the setup command in the agent's
 * directory. Outside git the agent works in the project directory itself, which needs no setup.
 */
export async function setupLocalWorkspace(
  record: AgentRecord,
  project: Project,
  env: Record<string, string>,
  onLine: (stream: LogStream, text: string) => void,
  options: { agentWork: boolean },
): Promise<void> {
  const setup = project.setup;
  if (!setup) return;
  if (!record.git) {
    onLine(
      'system',
      'setup skipped: the project is not a git repository, so the agent works in the project directory itself',
    );
    return;
  }
  const workdir = record.agent.workdir;
  if (setup.copy.length > 0) {
    try {
      const { copied, missing } = copySetupFiles({ from: project.path, to: workdir, files: setup.copy });
      if (copied.length > 0) onLine('system', `setup copied from ${project.path}: ${copied.join(', ')}`);
      if (missing.length > 0)
        onLine('system', `setup did not copy what ${project.path} does not have: ${missing.join(', ')}`);
    } catch (error) {
      if (!(error instanceof FleetError)) throw error;
      throw new WorkspaceError(`its worktree setup failed: ${error.message}`);
    }
  }
  if (!setup.command) return;
  if (options.agentWork) {
    // It runs as the server's user, and `npm ci` runs the scripts of the package.json it finds: an agent's, here.
    onLine(
      'system',
      `setup command not run: ${record.agent.branch} holds an agent's work, which it would run as the server's user, outside the sandbox; the agent's task can run it`,
    );
    return;
  }
  onLine('system', `setup command started: ${JSON.stringify(setup.command)} in ${workdir} (timeout ${setup.timeout})`);
  const result = await runSetupCommand({
    argv: setup.command,
    cwd: workdir,
    timeoutMs: setup.timeout_ms,
    env,
    onLine: (text, stream) => onLine(stream, text),
  });
  if (result.ok) {
    onLine('system', 'setup command finished');
    return;
  }
  onLine('system', result.message);
  const tail = result.lines.slice(-QUOTED_LINES);
  const output =
    tail.length > 0 ? `Last output of the setup command:\n${tail.join('\n')}` : 'The setup command printed nothing.';
  throw new WorkspaceError(`its worktree setup failed: ${result.message}`, output);
}
