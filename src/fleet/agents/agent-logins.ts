import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expandState } from '../backends/local/sandbox/sandbox-mounts.js';

/** Where each preset's CLI keeps a login or reads an API key: looked at locally, never by asking the provider. */
interface LoginSigns {
  env: string[];
  /** Credentials files: a folder declared like a role's state paths, and the file's name in it. */
  files: [folder: string, name: string][];
  /** How to log in where no sign is found. */
  how: string;
}

const PROVIDER_KEYS = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY'];

const SIGNS: Record<string, LoginSigns> = {
  claude: {
    env: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style default, expanded by expandState
    files: [['${CLAUDE_CONFIG_DIR:-~/.claude}', '.credentials.json']],
    how: 'run `claude` once and log in, or set ANTHROPIC_API_KEY',
  },
  codex: {
    env: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style default, expanded by expandState
    files: [['${CODEX_HOME:-~/.codex}', 'auth.json']],
    how: 'run `codex login`, or set OPENAI_API_KEY',
  },
  gemini: {
    env: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    files: [['~/.gemini', 'oauth_creds.json']],
    how: 'run `gemini` once and sign in, or set GEMINI_API_KEY',
  },
  opencode: {
    env: PROVIDER_KEYS,
    files: [['~/.local/share/opencode', 'auth.json']],
    how: "run `opencode auth login`, or set a provider's API key",
  },
  aider: { env: PROVIDER_KEYS, files: [], how: "set a provider's API key (e.g. ANTHROPIC_API_KEY)" },
};

/**
 * What suggests the preset's CLI is logged in, named but never shown (a variable's name, a file's path), or null
 * with how to log in. Unknown for a name without signs.
 */
export function loginSign(preset: string, env: Record<string, string>): { found: string | null; how: string } | null {
  const signs = SIGNS[preset];
  if (!signs) return null;
  const variable = signs.env.find((name) => (env[name] ?? '') !== '');
  if (variable) return { found: `${variable} is set`, how: signs.how };
  const file = signs.files.map(([folder, name]) => join(expandState(folder, env), name)).find(isNonEmptyFile);
  return { found: file ? `credentials in ${file}` : null, how: signs.how };
}

function isNonEmptyFile(file: string): boolean {
  try {
    const stats = statSync(file);
    return stats.isFile() && stats.size > 0;
  } catch {
    return false;
  }
}
