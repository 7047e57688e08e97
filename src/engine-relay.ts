// The engine relay, a bundle of its own (dist/engine-relay.js) holding only the engines' clients: the task
// supervisor runs one per task on an engine, `node engine-relay.js __engine-task <file>` (engineTaskArgv). The CLI's
// `__engine-task` and the single executable load it with the same command line after the script's path, which it
// reads here.
import { engineTaskCommand } from './commands/engine-task.js';
import { ENGINE_TASK_COMMAND } from './commands/engine-task-command.js';
import { errorReport } from './error-report.js';

const [command, file, ...rest] = process.argv.slice(2);
if (command !== ENGINE_TASK_COMMAND || !file || rest.length > 0) {
  process.stderr.write(`fleet-mcp: the engine relay runs one task: engine-relay.js ${ENGINE_TASK_COMMAND} <file>\n`);
  process.exit(2);
}
engineTaskCommand(file).catch((error: unknown) => {
  process.stderr.write(errorReport(error));
  process.exit(1);
});
