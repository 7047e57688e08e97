// Codex CLI against the OpenAI Responses API mock. Codex reaches a custom endpoint only through a model provider
// of its own config (OPENAI_BASE_URL alone is not enough), so the private CODEX_HOME gets one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOpenAiResponsesMock } from '../mocks/openai-responses.mjs';

export default {
  name: 'codex',
  npmPackage: '@openai/codex',
  version: '0.171.0',
  binary: 'codex',
  role: 'codex',
  // Its message for a 5xx is "We're currently experiencing high demand...", without the status.
  namesStatus: false,
  // Offered, but `codex exec` runs in Default mode, where the tool only works in Plan mode: codex answers the call
  // itself with this text (and an ERROR line on stderr, no JSON event), and the model goes on.
  asking: {
    tool: 'request_user_input',
    answeredBy: 'cli',
    cliAnswer: 'request_user_input is unavailable in Default mode',
  },
  startMock: (scenario) => startOpenAiResponsesMock(scenario),
  setupHome: ({ home, mockUrl }) => {
    mkdirSync(join(home, '.codex'), { recursive: true });
    writeFileSync(join(home, '.codex', 'config.toml'), codexConfig(mockUrl));
  },
  env: ({ home }) => ({ CODEX_HOME: join(home, '.codex'), VERIFY_AGENTS_API_KEY: 'sk-verify-agents-dummy' }),
  prompts: (mock) => mock.requests.flatMap((request) => lastUserText(request.body)),
};

/**
 * The mock as the model provider, without retries so a failing API ends the run at once. workspace-write leaves
 * /tmp and TMPDIR writable by default; excluding them keeps the sandbox to the worktree and its git dirs, so a
 * write outside the worktree is denied wherever the run's folders are.
 */
function codexConfig(mockUrl) {
  return `model = "gpt-5.5"
model_provider = "verify"

[model_providers.verify]
name = "verify-agents mock"
base_url = "${mockUrl}/v1"
wire_api = "responses"
env_key = "VERIFY_AGENTS_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[sandbox_workspace_write]
exclude_slash_tmp = true
exclude_tmpdir_env_var = true
`;
}

function lastUserText(body) {
  const users = (Array.isArray(body?.input) ? body.input : []).filter(
    (item) => item.type === 'message' && item.role === 'user',
  );
  const last = users.at(-1);
  return last ? last.content.filter((part) => part.type === 'input_text').map((part) => part.text) : [];
}
