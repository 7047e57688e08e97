// The conversations the fake agent CLIs remember, so a test can see that a follow-up continued the earlier one:
// each session is the list of prompts it was given, in $FAKE_AGENT_SESSIONS (a temp folder by default).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function file(cli, key) {
  const dir = process.env.FAKE_AGENT_SESSIONS ?? join(tmpdir(), 'fake-agent-sessions');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${cli}-${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`);
}

/** The prompts of the session, or null when there is none. */
export function earlierPrompts(cli, key) {
  const path = file(cli, key);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

/** Adds the prompt to the session (a new session when `earlier` is null). */
export function rememberPrompt(cli, key, earlier, prompt) {
  writeFileSync(file(cli, key), JSON.stringify([...(earlier ?? []), prompt]));
}

/** How a continued run shows what it remembered, after its answer. */
export function continuedNote(earlier) {
  return `continued after: ${earlier.join(' | ')}`;
}
