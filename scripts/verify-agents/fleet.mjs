// Drives fleet-mcp end to end for one scenario: a temp git repo, private HOME and data dir, the built server with
// auth on, the real MCP SDK client, create_agent with the CLI's built-in role, wait_for_agent.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from './install.mjs';
import { askingToolFailures, offeredTools } from './offered-tools.mjs';
import { ASK_PICK, ASK_QUESTION, PROVIDER_STALL } from './scenarios.mjs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const AGENT = 'verify';
const WAIT_SECONDS = 240;

export function createRepo(root) {
  const repo = join(root, 'repo');
  mkdirSync(repo);
  const git = (...args) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString();
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'verify-agents');
  git('config', 'user.email', 'verify-agents@example.invalid');
  writeFileSync(join(repo, 'README.md'), '# a project for verify-agents\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'Initial commit');
  return { repo, git };
}

/** Starts `serve --auth` on port 0 and resolves once it listens. */
export function startServer({ env, cwd }) {
  const child = spawn(process.execPath, [CLI, 'serve', '--auth', '--port', '0'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((done) => child.once('exit', done));
  return new Promise((done, fail) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((text) => text.includes('"fleet-mcp listening"'));
      if (!line) return;
      const stop = () => {
        child.kill('SIGTERM');
        return exited;
      };
      done({ port: JSON.parse(line).port, stop, output: () => output });
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    void exited.then((code) => fail(new Error(`fleet-mcp exited with ${code} before listening:\n${output}`)));
  });
}

async function connect(port, token) {
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'verify-agents', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name, args) => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: (WAIT_SECONDS + 30) * 1000 });
    if (result.isError) throw new Error(`${name}: ${result.content[0].text}`);
    return result.structuredContent;
  };
  return { client, call };
}

/**
 * A 2026-07-28 client (the v2 SDK's) that can ask its user: each form it is asked to fill is kept in `asked`, and
 * answered by picking ASK_PICK for the question's choice field. Its wait_for_agent goes through input_required.
 */
async function connectAnswering(port, token, reply) {
  const transport = new ModernTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new ModernClient(
    { name: 'verify-agents-lead', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const asked = [];
  client.setRequestHandler('elicitation/create', (request) => {
    asked.push(request.params);
    const properties = request.params.requestedSchema?.properties ?? {};
    const choice = Object.keys(properties).find((key) => key.startsWith('choice_'));
    if (reply === 'decline') return { action: 'decline' };
    return { action: 'accept', content: choice ? { [choice]: ASK_PICK } : {} };
  });
  await client.connect(transport);
  const wait = async (args) => {
    const result = await client.callTool(
      { name: 'wait_for_agent', arguments: args },
      { timeout: (WAIT_SECONDS + 30) * 1000 },
    );
    if (result.isError) throw new Error(`wait_for_agent: ${result.content[0].text}`);
    return result.structuredContent;
  };
  return { client, wait, asked };
}

/**
 * Runs one scenario of one CLI and returns { failures: string[], context }. Everything it started is stopped and
 * its temp dir removed (kept when `keep` is set, for a look after a failure).
 */
export async function runScenario({ cli, binDir, scenario, keep }) {
  // Not under /tmp: codex will not put its sandbox helper under a temp dir, and without it its own sandbox cannot
  // start where the host has a bwrap older than 0.9 (Debian 12).
  const runs = join(cacheRoot(), 'runs');
  mkdirSync(runs, { recursive: true });
  const root = mkdtempSync(join(runs, `${cli.name}-`));
  const cleanups = [];
  try {
    const { repo, git } = createRepo(root);
    const home = join(root, 'home');
    mkdirSync(home);
    const tmp = join(root, 'tmp');
    mkdirSync(tmp);
    const mock = await cli.startMock(scenario);
    cleanups.push(() => mock.close());
    await cli.setupHome({ home, mockUrl: mock.url, repo });
    const configFile = join(root, 'fleet.json');
    // Each scenario says whether it runs sandboxed, rather than the host's bwrap deciding for it. The sandbox's
    // loopback is its own: the mock's port on the host's loopback is one the role lists.
    const role = { sandbox: scenario.sandbox === true ? { ports: [Number(new URL(mock.url).port)] } : false };
    const roles = { [cli.role]: scenario.provider ? { ...role, ...providerLimits(cli, scenario) } : role };
    writeFileSync(
      configFile,
      JSON.stringify({ projects: { repo: { path: repo, description: 'verify-agents' } }, roles }),
    );
    const env = {
      // Only what the CLI needs: no credential of the person running the script reaches it.
      PATH: `${binDir}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      LANG: 'C.UTF-8',
      TMPDIR: tmp,
      FLEET_MCP_CONFIG: configFile,
      FLEET_MCP_DATA_DIR: join(root, 'data'),
      FLEET_MCP_AUTH_TOKEN_FILE: join(root, 'auth_token'),
      // A scenario that timed out must not leave its CLI running once the run's files are gone.
      FLEET_MCP_STOP_AGENTS_ON_EXIT: 'true',
      ...cli.env({ home, mockUrl: mock.url }),
    };
    const server = await startServer({ env, cwd: root });
    cleanups.push(() => server.stop());
    const token = JSON.parse(readFileSync(env.FLEET_MCP_AUTH_TOKEN_FILE, 'utf8')).value;
    const { client, call } = await connect(server.port, token);
    cleanups.push(() => client.close());

    const created = await call('create_agent', { name: AGENT, project: 'repo', role: cli.role, task: scenario.task });
    // A lead that could answer is there in 'cli-answered' too, so a question the fleet put to it would be seen.
    const reply = { answered: 'pick', declined: 'decline', 'cli-answered': 'decline' }[scenario.expect];
    const lead = reply ? await connectAnswering(server.port, token, reply) : null;
    if (lead) cleanups.push(() => lead.client.close());
    const wait = lead ? lead.wait : (args) => call('wait_for_agent', args);
    let waited = await wait({ name: AGENT, timeout_seconds: WAIT_SECONDS });
    const firstTask = waited.agent.last_task;
    if (scenario.followUp && !waited.timed_out) {
      await call('start_agent_task', { name: AGENT, task: scenario.followUp });
      waited = await call('wait_for_agent', { name: AGENT, timeout_seconds: WAIT_SECONDS });
    }
    const task = waited.agent.last_task;
    const log = (await call('show_agent_log', { name: AGENT, page_size: 200 })).lines
      .reverse()
      .map((line) => `${line.stream}: ${line.text}`);
    const context = {
      scenario,
      mock,
      task,
      firstTask,
      log,
      repo,
      agent: AGENT,
      workdir: created.workdir ?? waited.agent.workdir,
      git,
      timedOut: waited.timed_out,
      asked: lead?.asked ?? [],
    };
    const failures = [...check(context, cli), ...(cli.check ? [cli.check(context)].filter(Boolean) : [])];
    return { failures, context };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
}

function check(context, cli) {
  const { scenario, task, timedOut } = context;
  if (timedOut) return [`${scenario.id}: the agent was still busy after ${WAIT_SECONDS} s`];
  if (!task) return [`${scenario.id}: the agent has no task`];
  const describe = `task ${task.status}${task.reason ? ` (${task.reason})` : ''}, exit code ${task.exit_code}`;
  const sandboxed = context.log.some((line) => line.includes('sandboxed by bwrap'));
  if (sandboxed !== (scenario.sandbox === true))
    return [`${scenario.id}: the task ran ${sandboxed ? 'sandboxed' : 'unsandboxed'}, expected the opposite`];
  switch (scenario.expect) {
    case 'commit':
      return checkCommit(context, describe, cli);
    case 'not-success':
      return checkNotSuccess(context, describe);
    case 'prompt':
      return checkPrompt(context, cli, describe);
    case 'continued':
      return checkContinued(context, describe);
    case 'provider-failure':
      return checkProviderFailure(context, describe, cli);
    case 'answered':
      return checkAnswered(context, describe);
    case 'declined':
      return checkDeclined(context, describe);
    case 'cli-answered':
      return checkCliAnswered(context, describe, cli);
    default:
      return [`${scenario.id}: unknown expectation ${scenario.expect}`];
  }
}

function checkCommit({ scenario, task, git, agent, mock }, describe, cli) {
  const [write, shell] = scenario.steps;
  const failures = askingToolFailures(cli, offeredTools(mock.requests)).map((text) => `${scenario.id}: ${text}`);
  if (task.status !== 'completed' || task.outcome !== 'succeeded')
    failures.push(`${scenario.id}: ${describe}, outcome ${task.outcome}, expected completed and succeeded`);
  failures.push(...checkUsage(scenario, task, cli));
  let subjects = '';
  try {
    subjects = git('log', '--format=%s', `main..fleet/${agent}`);
  } catch (error) {
    failures.push(`${scenario.id}: no branch fleet/${agent}: ${error.message.split('\n')[0]}`);
  }
  const subject = /-m "([^"]+)"/.exec(shell.shell.command)[1];
  const answer = scenario.steps.at(-1).text;
  // Tasks carry the CLI's final message where the server records it.
  if ('final_message' in task && task.final_message !== answer)
    failures.push(
      `${scenario.id}: final message ${JSON.stringify(task.final_message)}, expected ${JSON.stringify(answer)}`,
    );
  if (!subjects.split('\n').includes(subject))
    failures.push(`${scenario.id}: no commit "${subject}" on fleet/${agent} (found: ${subjects.trim() || 'none'})`);
  else {
    const content = git('show', `fleet/${agent}:${write.write.path}`);
    if (content !== write.write.content)
      failures.push(`${scenario.id}: the committed ${write.write.path} does not hold what the model wrote`);
  }
  return failures;
}

function checkNotSuccess({ scenario, task, workdir }, describe) {
  const failures = [];
  const outside = scenario.steps.find((step) => step.write)?.write.path;
  if (outside && workdir && existsSync(resolve(workdir, outside)))
    failures.push(`${scenario.id}: the CLI wrote ${outside} outside the worktree`);
  if (task.status === 'completed')
    failures.push(
      `${scenario.id}: ${describe}: a conversation whose tool call was denied is reported as plain success`,
    );
  // A tool call the CLI or the sandbox refused, or one that failed for good: the outcome names which.
  const named = ['write_refused', 'tool_failed', 'agent_error'];
  if (!named.includes(task.outcome))
    failures.push(`${scenario.id}: ${describe}: outcome ${task.outcome}, expected one of ${named.join(', ')}`);
  return failures;
}

/** Tokens as the CLI reported them for the mock's answers; a cost where the CLI reports one. */
function checkUsage(scenario, task, cli) {
  const usage = task.usage;
  if (!usage || usage.input_tokens + usage.cache_read_tokens <= 0 || usage.output_tokens <= 0)
    return [`${scenario.id}: the task records no token usage (${JSON.stringify(usage)})`];
  if (cli.reportsCost && typeof usage.cost_usd !== 'number')
    return [`${scenario.id}: the CLI reports cost, the task records none (${JSON.stringify(usage)})`];
  return [];
}

/**
 * The role's limits in a provider scenario: provider_stall, and for a CLI whose output cannot tell a stalled API from
 * a running tool (`hangEndsBy: 'idle_timeout'`), an idle_timeout as short, which is then what ends a hung API.
 */
function providerLimits(cli, scenario) {
  const stall = cli.providerStall ?? PROVIDER_STALL;
  if (scenario.provider.hang && cli.hangEndsBy === 'idle_timeout')
    return { provider_stall: stall, idle_timeout: stall };
  return { provider_stall: stall };
}

/** How long a provider scenario may take: the CLI's own giving up where it retries silently, else the stall and room. */
function providerBoundMs(cli) {
  if (cli.givesUpWithin) return Number.parseInt(cli.givesUpWithin, 10) * 1000;
  return (Number.parseInt(cli.providerStall ?? PROVIDER_STALL, 10) + 90) * 1000;
}

/**
 * The API failed the whole task: it must fail with the API's error (its status in the reason), or be ended for the
 * stalled API, within provider_stall and well before the idle timeout (15 min) would have ended it.
 */
function checkProviderFailure({ scenario, task, log }, describe, cli) {
  const failures = [];
  const hangOutcome = cli.hangEndsBy === 'idle_timeout' ? 'no_output' : 'provider_stalled';
  const outcomes = scenario.provider.hang ? [hangOutcome] : ['provider_error', 'provider_stalled'];
  if (!task.reason) failures.push(`${scenario.id}: the task carries no reason`);
  if (task.status !== 'failed' || !outcomes.includes(task.outcome))
    failures.push(
      `${scenario.id}: ${describe}, outcome ${task.outcome}, expected failed with ${outcomes.join(' or ')}`,
    );
  if (
    scenario.provider.status &&
    cli.namesStatus !== false &&
    !String(task.reason).includes(String(scenario.provider.status))
  )
    failures.push(`${scenario.id}: the reason (${task.reason}) does not carry the API's ${scenario.provider.status}`);
  const bound = providerBoundMs(cli);
  if (!(task.duration_ms < bound))
    failures.push(`${scenario.id}: the task took ${task.duration_ms} ms, over ${bound} ms`);
  if (!log.some((line) => line.endsWith(`outcome: ${task.outcome}`)))
    failures.push(`${scenario.id}: the log does not say how the task ended`);
  return failures;
}

function checkPrompt({ scenario, task, mock }, cli, describe) {
  const failures = [];
  if (task.status !== 'completed') failures.push(`${scenario.id}: ${describe}, expected completed`);
  const prompts = cli.prompts(mock).map((text) => text.trim());
  // opencode quotes a message argument that contains spaces before it sends it; the text is still the prompt.
  if (!prompts.some((text) => text === scenario.task || text === `"${scenario.task}"`)) {
    failures.push(
      `${scenario.id}: the task text ${JSON.stringify(scenario.task)} did not reach the model as the prompt (saw ${JSON.stringify(prompts.slice(0, 3))})`,
    );
  }
  return failures;
}

/**
 * The follow-up ran with the role's continue_command, and the model was sent the first task's prompt and answer in
 * the same request as the follow-up: the CLI continued the conversation rather than starting a new one.
 */
function checkContinued({ scenario, task, firstTask, mock }, describe) {
  const failures = [];
  if (firstTask?.status !== 'completed')
    failures.push(
      `${scenario.id}: the first task ended ${firstTask?.status} (${firstTask?.reason}), expected completed`,
    );
  if (task.status !== 'completed') failures.push(`${scenario.id}: follow-up ${describe}, expected completed`);
  if (task.continued_conversation !== true)
    failures.push(
      `${scenario.id}: the follow-up did not use the role's continue_command (continued_conversation ${task.continued_conversation})`,
    );
  const answer = scenario.steps.at(-1).text;
  const bodies = mock.requests.map((request) => JSON.stringify(request.body ?? ''));
  const followUps = bodies.filter((body) => body.includes(scenario.followUp));
  if (followUps.length === 0) failures.push(`${scenario.id}: the follow-up task never reached the model`);
  else if (!followUps.some((body) => body.includes(scenario.task) && body.includes(answer))) {
    failures.push(`${scenario.id}: the model got the follow-up without the first task's turns (a fresh conversation)`);
  }
  return failures;
}

/** The tool_result blocks of AskUserQuestion calls the model was sent, as text. */
function askResults(mock) {
  const texts = [];
  for (const request of mock.requests) {
    for (const message of request.body?.messages ?? []) {
      if (!Array.isArray(message.content)) continue;
      for (const block of message.content) {
        if (block.type !== 'tool_result') continue;
        texts.push(typeof block.content === 'string' ? block.content : JSON.stringify(block.content));
      }
    }
  }
  return texts;
}

/**
 * The CLI's question reached the lead's client as one elicitation form naming it, the client's pick went back
 * through input_required, and the model's next request carries it as the tool's result; the task then completed.
 */
function checkAnswered({ scenario, task, mock, asked }, describe) {
  const failures = [];
  if (task.status !== 'completed') failures.push(`${scenario.id}: ${describe}, expected completed`);
  if (asked.length !== 1 || !String(asked[0]?.message).includes(ASK_QUESTION))
    failures.push(`${scenario.id}: the client was asked ${asked.length} form(s), expected one naming the question`);
  const results = askResults(mock);
  if (!results.some((text) => text.includes(ASK_PICK)))
    failures.push(
      `${scenario.id}: no request to the model carries the answer ${ASK_PICK} (tool results: ${JSON.stringify(results).slice(0, 300)})`,
    );
  return failures;
}

/** The client declined the CLI's question: the model was told so, and the task succeeded all the same. */
function checkDeclined({ scenario, task, mock, asked }, describe) {
  const failures = [];
  if (task.status !== 'completed' || task.outcome !== 'succeeded')
    failures.push(`${scenario.id}: ${describe}, outcome ${task.outcome}, expected completed and succeeded`);
  if (asked.length !== 1) failures.push(`${scenario.id}: the client was asked ${asked.length} form(s), expected one`);
  const results = askResults(mock);
  if (!results.some((text) => text.includes('declined to answer')))
    failures.push(
      `${scenario.id}: no request to the model says the user declined (tool results: ${JSON.stringify(results).slice(0, 300)})`,
    );
  return failures;
}

/**
 * The CLI answered its own asking tool: the lead was asked nothing, the model was sent the CLI's answer and went on,
 * and the task succeeded with the model's last text, well before the idle timeout.
 */
function checkCliAnswered({ scenario, task, mock, asked }, describe, cli) {
  const failures = [];
  if (task.status !== 'completed' || task.outcome !== 'succeeded')
    failures.push(`${scenario.id}: ${describe}, outcome ${task.outcome}, expected completed and succeeded`);
  if (asked.length !== 0) failures.push(`${scenario.id}: the client was asked ${asked.length} form(s), expected none`);
  const answer = cli.asking.cliAnswer;
  if (!mock.requests.some((request) => JSON.stringify(request.body ?? '').includes(answer)))
    failures.push(`${scenario.id}: no request to the model carries the CLI's own answer ${JSON.stringify(answer)}`);
  const text = scenario.steps.at(-1).text;
  if ('final_message' in task && task.final_message !== text)
    failures.push(
      `${scenario.id}: final message ${JSON.stringify(task.final_message)}, expected ${JSON.stringify(text)}`,
    );
  return failures;
}
