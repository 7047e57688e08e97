import { Command } from 'commander';
import { HOST_COMMAND } from './commands/host-command.js';
import { SPAWN_HELPER_COMMAND } from './fleet/spawn/helper-protocol.js';
import { errorReport } from './error-report.js';
import { VERSION } from './version.js';

const ENVIRONMENT_HELP = `
Environment (flags win over the environment, which wins over ~/.config/fleet-mcp/env, which wins over .env in the
working directory; a .env may not set the settings marked *: move those to the environment or that env file):
 *FLEET_MCP_AUTH_ENABLED     true/1/yes/on or false/0/no/off (alias AUTH_ENABLED); default false
 *FLEET_MCP_AUTH_TOKEN_FILE  token file; default ~/.config/fleet-mcp/auth_token
 *FLEET_MCP_AUTH_TOKEN       token from a secret manager; wins over the file, never written to disk
 *FLEET_MCP_HOST             listen address; default 127.0.0.1
  FLEET_MCP_PORT             listen port (0 picks a free one); default 8000; a busy port stops serve, naming it
  LOG_LEVEL                  fatal, error, warn, info, debug, trace or silent; default info
 *FLEET_MCP_CONFIG           fleet config (projects, roles, backends); default ~/.config/fleet-mcp/config.json
 *FLEET_MCP_DATA_DIR         agent state, logs and worktrees; default ~/.local/share/fleet-mcp
  FLEET_MCP_MAX_BUSY         agents that may run a task at once; default 8
  FLEET_MCP_MAX_AGENTS       agents that may exist at once; create_agent is refused past it; default 100
  FLEET_MCP_STOP_AGENTS_ON_EXIT  true: serve cancels running tasks when it stops; default false: they run on
                             and the next server on the data dir follows them and records how they ended
 *FLEET_MCP_ALLOWED_HOSTS    extra Host names to answer to (comma-separated); loopback and the bound host always
 *FLEET_MCP_ALLOWED_ORIGINS  extra browser origins allowed to call (comma-separated, e.g. https://app.example.com)
 *FLEET_MCP_ALLOW_UNAUTHENTICATED  true to serve a non-loopback address without auth (refused otherwise)
  FLEET_MCP_UI               false to serve no web view at /ui (log in there with a token); default true
  FLEET_MCP_SHUTDOWN_GRACE   tuning: how long requests in flight may finish after SIGTERM/SIGINT; default 10s
  FLEET_MCP_WEBHOOK_URL      a webhook told when a task ends, when the fleet config's notify.webhook names none
  FLEET_MCP_WEBHOOK_SECRET   its HMAC-SHA256 signing secret, when notify.webhook.secret_file names none
  FLEET_MCP_HEADERS_TIMEOUT  tuning: how long a client may take to send its headers (at most 30s); default 10s
  CREDENTIALS_DIRECTORY      set by systemd; a credential named fleet-mcp-token there is the token

Agents (and git) get this environment minus every FLEET_MCP_* variable, AUTH_ENABLED and CREDENTIALS_DIRECTORY,
plus their role's env.`;

function reportError(error: unknown): never {
  process.stderr.write(errorReport(error));
  process.exit(1);
}

/**
 * A command's module is loaded only when that command runs, so --version, --help and the token commands never
 * load the server: the npm build puts the server commands in a file of its own, and the bundler
 * keeps every other module's code unevaluated until its import() runs.
 */
function run<A extends unknown[]>(load: () => Promise<(...args: A) => unknown>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await (await load())(...args);
    } catch (error) {
      reportError(error);
    }
  };
}

const program = new Command('fleet-mcp')
  .description('MCP server over HTTP that runs and steers a fleet of coding agents, guarded by a bearer token')
  .version(VERSION, '-v, --version')
  .showHelpAfterError();

program
  .command('init')
  .description(
    'make the git repository you are in a project of the fleet config, and say which agent CLIs are installed, look logged in and can run',
  )
  .option('--config <path>', 'fleet config file to add the project to (FLEET_MCP_CONFIG)')
  .option('--data-dir <path>', 'agent state directory, hidden from sandboxed agents (FLEET_MCP_DATA_DIR)')
  .addHelpText(
    'after',
    '\nThe config is written 0600 (its folder 0700 when made), keeping everything else in it; running init again changes\n' +
      'nothing. A config that cannot be read is refused, never overwritten. Logins are looked for locally (credentials\n' +
      'files, API key variables), never by asking a provider. "Usable" means a task can start: a CLI the sandbox cannot\n' +
      'see (e.g. under /tmp, which it replaces with its own) is not, and init says why and what to do.',
  )
  .action(run(async () => (await import('./commands/init.js')).initCommand));

program
  .command('serve')
  .description(
    'serve MCP over Streamable HTTP at /mcp, the legacy HTTP+SSE transport at /sse, and a web view of the fleet at /ui',
  )
  .option('--host <address>', 'listen address (FLEET_MCP_HOST)')
  .option('--port <number>', 'listen port (FLEET_MCP_PORT)')
  .option('--auth', 'require the bearer token (FLEET_MCP_AUTH_ENABLED=true)')
  .option('--no-auth', 'do not require a token (FLEET_MCP_AUTH_ENABLED=false)')
  .option('--token-file <path>', 'token file (FLEET_MCP_AUTH_TOKEN_FILE)')
  .option('--config <path>', 'fleet config file (FLEET_MCP_CONFIG)')
  .option('--data-dir <path>', 'agent state directory (FLEET_MCP_DATA_DIR)')
  .option('--max-busy <number>', 'agents that may run a task at once; more tasks queue (FLEET_MCP_MAX_BUSY, default 8)')
  .option(
    '--stop-agents-on-exit',
    'cancel running and queued tasks when the server stops; by default they run on, and Ctrl+C says how many (FLEET_MCP_STOP_AGENTS_ON_EXIT)',
  )
  .option('--log-level <level>', 'log level (LOG_LEVEL)')
  .option('--allow-unauthenticated', 'serve a non-loopback address without auth (FLEET_MCP_ALLOW_UNAUTHENTICATED)')
  .option('--ui', 'serve the web view at /ui (FLEET_MCP_UI=true, the default)')
  .option('--no-ui', 'do not serve the web view; /ui is a 404 (FLEET_MCP_UI=false)')
  .addHelpText('after', ENVIRONMENT_HELP)
  .action(run(async () => (await import('./server-commands.js')).serveCommand));

/** stdio and the background fleet it starts read the same settings. */
function stdioOptions(command: Command): Command {
  return command
    .option('--config <path>', 'fleet config file (FLEET_MCP_CONFIG)')
    .option('--data-dir <path>', 'agent state directory (FLEET_MCP_DATA_DIR)')
    .option(
      '--max-busy <number>',
      'agents that may run a task at once; more tasks queue (FLEET_MCP_MAX_BUSY, default 8)',
    )
    .option('--log-level <level>', 'log level (LOG_LEVEL)');
}

stdioOptions(
  program
    .command('stdio')
    .description(
      'serve MCP over stdin/stdout for clients that launch the server (no HTTP, no token; logs on stderr); every stdio ' +
        'client shares the fleet of its data dir: the `serve` running there, else a background fleet the first one starts',
    ),
).action(run(async () => (await import('./server-commands.js')).stdioCommand));

stdioOptions(program.command(HOST_COMMAND, { hidden: true })).action(
  run(async () => (await import('./server-commands.js')).fleetHostCommand),
);

program
  .command(SPAWN_HELPER_COMMAND, { hidden: true })
  .action(run(async () => (await import('./fleet/spawn/spawn-helper.js')).spawnHelperCommand));

const dataDirOption = ['--data-dir <path>', 'the data dir whose running fleet to ask (FLEET_MCP_DATA_DIR)'] as const;
const PEOPLE_HELP =
  '\nAsks the fleet running on the data dir (`serve`, or the background fleet of `stdio` clients) over its local socket, ' +
  'as the same user, with no token; starts none. Exit code 1 when no fleet runs or the fleet refuses the request.';

program
  .command('status')
  .alias('ps')
  .description('list the agents: status, age, current task, how their last task ended (and its reason)')
  .option('--json', 'print JSON')
  .option(...dataDirOption)
  .addHelpText('after', PEOPLE_HELP)
  .action(run(async () => (await import('./people/status-command.js')).statusCommand));

program
  .command('logs')
  .description("print an agent's latest log lines (oldest first); -f follows them until its task ends")
  .argument('<name>', 'the agent')
  .option('-f, --follow', 'print new lines as they come, until the task ends (or Ctrl+C)')
  .option(...dataDirOption)
  .addHelpText('after', PEOPLE_HELP)
  .action(run(async () => (await import('./people/logs-command.js')).logsCommand));

program
  .command('diff')
  .description("print an agent's work to review: commits, diffstat, uncommitted files, then the whole diff")
  .argument('<name>', 'the agent')
  .option(...dataDirOption)
  .addHelpText('after', PEOPLE_HELP)
  .action(run(async () => (await import('./people/diff-command.js')).diffCommand));

program
  .command('stop')
  .description(
    "cancel an agent's running or queued task (its work is kept), or with --all every task, queued ones first",
  )
  .argument('[name]', 'the agent')
  .option('--all', 'cancel every running and queued task')
  .option(...dataDirOption)
  .addHelpText('after', PEOPLE_HELP)
  .action(run(async () => (await import('./people/stop-command.js')).stopCommand));

program
  .command('systemd')
  .description('print a systemd unit that runs this install of `fleet-mcp serve` with auth on')
  .option('--user', 'a unit for your per-user service manager (the default); token in your config dir')
  .option('--system', 'a unit for the system manager, run as you; token under /var/lib/fleet-mcp')
  .option('--host <address>', 'listen address (FLEET_MCP_HOST)')
  .option('--port <number>', 'listen port (FLEET_MCP_PORT)')
  .option('--config <path>', 'fleet config file (FLEET_MCP_CONFIG)')
  .option('--data-dir <path>', 'agent state directory (FLEET_MCP_DATA_DIR)')
  .addHelpText(
    'after',
    '\nInstall and start:\n  fleet-mcp systemd --user > ~/.config/systemd/user/fleet-mcp.service && systemctl --user enable --now fleet-mcp\n  fleet-mcp systemd --system | sudo tee /etc/systemd/system/fleet-mcp.service && sudo systemctl enable --now fleet-mcp',
  )
  .action(run(async () => (await import('./commands/systemd.js')).systemdCommand));

const token = program
  .command('token')
  .description('show, rotate or locate the shared bearer token; create, list or revoke named tokens');
const tokenFileOption = ['--token-file <path>', 'token file (FLEET_MCP_AUTH_TOKEN_FILE)'] as const;

token
  .command('show')
  .description('print the token (only the token, so $(fleet-mcp token show) works)')
  .option(...tokenFileOption)
  .option('--json', 'print the whole record as JSON')
  .action(run(async () => (await import('./commands/token.js')).tokenShowCommand));

token
  .command('rotate')
  .description('replace the token with a new one, atomically, and print it; a running server picks it up')
  .option(...tokenFileOption)
  .option('--grace <duration>', 'keep the previous token valid this long, e.g. 10m (default: it ends at once)')
  .action(run(async () => (await import('./commands/token.js')).tokenRotateCommand));

token
  .command('create')
  .description('make a named token with scopes, print it once, and store only its hash (beside the token file)')
  .argument('<name>', 'lowercase letters, digits, "-" or "_", starting with a letter; never reused')
  .option('--scope <scopes>', 'comma-separated: read (look), run (create and steer agents), admin (everything)', 'read')
  .option('--expires <duration>', 'refused after this long, e.g. 30d or 12h (default: never)')
  .option('--rate-limit <n>', 'at most n requests a minute; more get 429 (default: no limit)')
  .option(...tokenFileOption)
  .action(run(async () => (await import('./commands/named-tokens.js')).tokenCreateCommand));

token
  .command('list')
  .description('list the shared and named tokens: names, scopes, dates, use, masked (never a value)')
  .option('--json', 'print JSON')
  .option(...tokenFileOption)
  .action(run(async () => (await import('./commands/named-tokens.js')).tokenListCommand));

token
  .command('revoke')
  .description('revoke a named token; a running server refuses it within a second')
  .argument('<name>', 'the token to revoke')
  .option(...tokenFileOption)
  .action(run(async () => (await import('./commands/named-tokens.js')).tokenRevokeCommand));

token
  .command('path')
  .description('print the path of the token file')
  .option(...tokenFileOption)
  .action(run(async () => (await import('./commands/token.js')).tokenPathCommand));

// No top-level await: the same source is bundled to CommonJS for the single executable.
program.parseAsync().catch(reportError);
