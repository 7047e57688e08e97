// The provider-neutral scripts the mocks follow (see README.md in this folder).

/** Thrown by a CLI module when its CLI cannot be verified here; the result line says SKIP with the reason. */
export class Skip extends Error {}

export const VERIFY_FILE = 'verified-by-mock.txt';
export const VERIFY_CONTENT = 'written through the agent CLI file tool\n';
export const COMMIT_SUBJECT = 'Add the file the mock model asked for';
/** A path outside the agent's worktree: writing there must be denied or fail, never silently succeed. */
export const OUTSIDE_FILE = '../outside-the-worktree.txt';

/** The question the `ask` scenario's model asks through the CLI's AskUserQuestion tool, and the option picked. */
export const ASK_QUESTION = 'Which database should the project use?';
export const ASK_PICK = 'SQLite';

const ASK_STEP = {
  ask: {
    questions: [
      {
        question: ASK_QUESTION,
        header: 'Database',
        multiSelect: false,
        options: [
          { label: 'PostgreSQL', description: 'Relational, the default' },
          { label: ASK_PICK, description: 'A file, no server' },
        ],
      },
    ],
  },
};

export const SCENARIOS = [
  {
    id: 'commit',
    task: 'Write the verification file and commit it.',
    steps: [
      { write: { path: VERIFY_FILE, content: VERIFY_CONTENT } },
      { shell: { command: `git add -A && git commit -m "${COMMIT_SUBJECT}"` } },
      { text: 'Done: the file is written and committed.' },
    ],
    expect: 'commit',
  },
  {
    id: 'tool-fails',
    task: 'Write a file outside the worktree, then run a failing command.',
    steps: [
      { write: { path: OUTSIDE_FILE, content: 'must not be written\n' } },
      { shell: { command: 'exit 3' } },
      { text: 'I could not do it: the tools failed.' },
    ],
    expect: 'not-success',
  },
  {
    id: 'dash-task',
    task: '- fix the test',
    steps: [{ text: 'Nothing to fix.' }],
    expect: 'prompt',
  },
  {
    id: 'version-task',
    task: '--version',
    steps: [{ text: 'That is not a task.' }],
    expect: 'prompt',
  },
  {
    // The CLI asks its user (AskUserQuestion); a 2026-07-28 client answers through input_required, and the answer
    // must reach the model as the tool's result. Only CLIs whose asking tool the fleet answers run it.
    id: 'ask',
    task: 'Set up the database.',
    steps: [ASK_STEP, { text: 'Using the answer.' }],
    needs: 'fleet-answers',
    expect: 'answered',
  },
  {
    // The client's user declines: the model is told so, and the task still succeeds (the CLI lists the declined
    // question among its result's permission denials, which is no failure of the task).
    id: 'ask-declined',
    task: 'Set up the database.',
    steps: [ASK_STEP, { text: 'Going on without an answer.' }],
    needs: 'fleet-answers',
    expect: 'declined',
  },
  {
    // The CLI answers its own asking tool (codex exec refuses it): the lead is asked nothing, the model gets the
    // CLI's answer and goes on, and the task succeeds rather than waiting for the idle timeout.
    id: 'ask-refused',
    task: 'Set up the database.',
    steps: [ASK_STEP, { text: 'Going on with my own choice.' }],
    needs: 'cli-answers',
    expect: 'cli-answered',
  },
  {
    // A follow-up task through start_agent_task must reach the model with the first task's turns before it.
    id: 'continue',
    task: 'Remember the word PELICAN for the next task.',
    steps: [{ text: 'Noted: the word is PELICAN.' }],
    followUp: 'Which word did the previous task ask you to remember?',
    expect: 'continued',
  },
];

/**
 * How long a CLI may wait on a failing or silent API in the provider scenarios (the role's provider_stall): short, as
 * each hang scenario waits it out, yet long enough for a CLI that retries a failing API without a word (gemini) to
 * give up and say why on a machine busy with CI's other suites, which 10 s was not.
 */
export const PROVIDER_STALL = '20s';

/**
 * The model API failing for the whole task: refusing (401), throttling (429), overloaded (529), broken (500), or
 * never answering. The task must fail with the API's error (`provider_error` once the CLI gives up, or
 * `provider_stalled` once provider_stall has passed with only retries), never pass as success, and end within
 * the bound rather than after the idle timeout.
 */
for (const status of [401, 429, 529, 500]) {
  SCENARIOS.push({
    id: `api-${status}`,
    task: 'Say hello.',
    steps: [{ text: 'Hello.' }],
    provider: { status },
    expect: 'provider-failure',
  });
}
SCENARIOS.push({
  id: 'api-hang',
  task: 'Say hello.',
  steps: [{ text: 'Hello.' }],
  provider: { hang: true },
  expect: 'provider-failure',
});

/**
 * The same work inside the bwrap sandbox, where each preset runs its sandboxed command (its CLI's own permission
 * checks off) and can write only its worktree, git's branch and its declared state: `commit` proves it still edits
 * and commits, `continue` that its state paths keep the conversation for a follow-up.
 */
for (const id of [
  'commit',
  'continue',
  'tool-fails',
  'ask-refused',
  'api-401',
  'api-429',
  'api-529',
  'api-500',
  'api-hang',
]) {
  SCENARIOS.push({ ...SCENARIOS.find((scenario) => scenario.id === id), id: `${id}-sandboxed`, sandbox: true });
}

/** The step a conversation is at: one step per tool result already sent back to the model. */
export function stepFor(scenario, toolResults) {
  return scenario.steps[Math.min(toolResults, scenario.steps.length - 1)];
}
