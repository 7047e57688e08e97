// opencode against the Anthropic Messages API mock, through its built-in anthropic provider with a loopback baseURL.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { firstUserTexts, mainConversations, startAnthropicMock, workdirFrom } from '../mocks/anthropic.mjs';

const MODEL = 'mock-model';

export default {
  name: 'opencode',
  npmPackage: 'opencode-ai',
  version: '1.18.33',
  binary: 'opencode',
  role: 'opencode',
  reportsCost: true,
  // Its JSON shows a tool call only once it has ended and prints nothing while it waits on the API: a hung API is
  // ended by the role's idle_timeout, not provider_stall.
  hangEndsBy: 'idle_timeout',
  // For the same reason a failing API ends its task only when it gives up: silent retries, 2 s doubling to 30 s, for
  // 80-100 s on a quiet machine and 112 s beside CI's other suites.
  givesUpWithin: '240s',
  startMock: (scenario) =>
    startAnthropicMock({
      scenario,
      toolUse: (step, request) =>
        step.write
          ? {
              name: 'write',
              input: { filePath: resolve(workdirFrom(request), step.write.path), content: step.write.content },
            }
          : { name: 'bash', input: { command: step.shell.command, description: 'Run the command the task asks for' } },
    }),
  setupHome({ home, mockUrl }) {
    const dir = join(home, '.config', 'opencode');
    mkdirSync(dir, { recursive: true });
    const config = {
      $schema: 'https://opencode.ai/config.json',
      model: `anthropic/${MODEL}`,
      small_model: `anthropic/${MODEL}`,
      autoupdate: false,
      share: 'disabled',
      provider: {
        anthropic: {
          options: { baseURL: `${mockUrl}/v1`, apiKey: 'sk-ant-verify-agents-dummy' },
          models: {
            [MODEL]: { name: 'verify-agents mock', tool_call: true, limit: { context: 200000, output: 8000 } },
          },
        },
      },
    };
    writeFileSync(join(dir, 'opencode.json'), JSON.stringify(config, null, 2));
  },
  env: () => ({
    // Loopback only: no models.dev catalogue, no update check, no LSP or plugin downloads.
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_SHARE: '1',
  }),
  prompts: (mock) => mainConversations(mock.requests).flatMap((request) => firstUserTexts(request.body)),
};
