// Claude Code against the Anthropic Messages API mock.
import { resolve } from 'node:path';
import { firstUserTexts, mainConversations, startAnthropicMock, workdirFrom } from '../mocks/anthropic.mjs';

export default {
  name: 'claude',
  npmPackage: '@anthropic-ai/claude-code',
  version: '2.1.332',
  binary: 'claude',
  role: 'claude',
  reportsCost: true,
  asking: { tool: 'AskUserQuestion', answeredBy: 'fleet' },
  startMock: (scenario) =>
    startAnthropicMock({
      scenario,
      toolUse: (step, request) => {
        if (step.ask) return { name: 'AskUserQuestion', input: step.ask };
        return step.write
          ? {
              name: 'Write',
              input: { file_path: resolve(workdirFrom(request), step.write.path), content: step.write.content },
            }
          : { name: 'Bash', input: { command: step.shell.command, description: 'Run the command the task asks for' } };
      },
    }),
  setupHome: () => undefined,
  env: ({ mockUrl }) => ({
    ANTHROPIC_BASE_URL: mockUrl,
    ANTHROPIC_API_KEY: 'sk-ant-verify-agents-dummy',
    // Loopback only: no telemetry, error reporting, update checks or other calls home.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  }),
  prompts: (mock) => mainConversations(mock.requests).flatMap((request) => firstUserTexts(request.body)),
};
