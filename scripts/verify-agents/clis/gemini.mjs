// Gemini CLI against the Gemini API mock. GOOGLE_GEMINI_BASE_URL points the API client at the mock; the auth type
// is chosen in settings because 0.61 reads that variable as "gateway" auth, which headless mode refuses.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGeminiMock } from '../mocks/gemini.mjs';

export default {
  name: 'gemini',
  npmPackage: '@google/gemini-cli',
  version: '0.61.0',
  binary: 'gemini',
  role: 'gemini',
  // It retries a failing API ten times (5 s, doubling), so only provider_stall ends those tasks, and its first retry
  // notice comes after its start-up, which on a machine busy with CI's other suites took over 20 s.
  providerStall: '40s',
  startMock: (scenario) => startGeminiMock(scenario),
  setupHome: ({ home }) => {
    mkdirSync(join(home, '.gemini'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(geminiSettings(), null, 2));
  },
  env: ({ mockUrl }) => ({ GEMINI_API_KEY: 'verify-agents-dummy', GOOGLE_GEMINI_BASE_URL: mockUrl }),
  prompts: (mock) =>
    mock.requests
      .filter((request) => request.path.includes(':streamGenerateContent'))
      .flatMap((request) => lastUserText(request.body)),
};

function geminiSettings() {
  return {
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  };
}

function lastUserText(body) {
  const users = (body?.contents ?? []).filter(
    (content) => content.role === 'user' && content.parts?.some((part) => part.text !== undefined),
  );
  const last = users.at(-1);
  return last ? last.parts.filter((part) => part.text !== undefined).map((part) => part.text) : [];
}
