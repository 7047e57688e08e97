import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError } from '../config-error.js';
import { DURATION_RULE, parseDuration } from '../duration.js';
import { assertTrustedFile } from '../fs/ownership.js';

/** The env variable that may hold the webhook's signing secret (FLEET_MCP_*, so agents never get it). */
export const WEBHOOK_SECRET_ENV = 'FLEET_MCP_WEBHOOK_SECRET';
/** The env variable that may name the webhook, when the fleet config does not. */
export const WEBHOOK_URL_ENV = 'FLEET_MCP_WEBHOOK_URL';

const MIN_SECRET_CHARS = 16;

const duration = z.string().refine((text) => parseDuration(text) !== undefined, { error: `must be ${DURATION_RULE}` });

/** The fleet config's `notify` key, as written. */
export const notifyConfigSchema = z.strictObject({
  webhook: z
    .strictObject({
      url: z
        .string()
        .refine(isHttpUrl, { error: 'must be an http:// or https:// URL, e.g. https://hooks.example.com/fleet' }),
      secret_file: z
        .string()
        .startsWith('/', { error: 'must be an absolute path, e.g. /home/you/.config/fleet-mcp/webhook-secret' })
        .optional(),
      max_attempts: z
        .number()
        .int()
        .min(1, { error: 'must be 1 to 10' })
        .max(10, { error: 'must be 1 to 10' })
        .optional(),
      first_retry_after: duration.optional(),
    })
    .optional(),
  command: z
    .array(z.string().min(1))
    .min(1, { error: 'must name a program, e.g. ["/usr/local/bin/on-task-end"]' })
    .optional(),
});
export type NotifyConfig = z.infer<typeof notifyConfigSchema>;

export interface WebhookSettings {
  url: string;
  /** Signs each payload; never logged nor sent. */
  secret: string;
  maxAttempts: number;
  /** Doubles after each failed attempt, up to MAX_RETRY_MS. */
  firstRetryMs: number;
}

export interface NotifySettings {
  webhook: WebhookSettings | null;
  command: string[] | null;
  /** Files agents must not read (the secret file). */
  hidden: string[];
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/**
 * What to call when a task ends: the fleet config's `notify`, else FLEET_MCP_WEBHOOK_URL. A webhook needs its
 * signing secret (a file only this user can change, or FLEET_MCP_WEBHOOK_SECRET), or the server does not start.
 */
export function resolveNotifySettings(config: NotifyConfig | undefined, env: NodeJS.ProcessEnv): NotifySettings {
  const webhookConfig = config?.webhook ?? (env[WEBHOOK_URL_ENV] ? webhookFromEnv(env[WEBHOOK_URL_ENV]) : undefined);
  if (!webhookConfig) return { webhook: null, command: config?.command ?? null, hidden: [] };
  const secret = webhookConfig.secret_file ? readSecretFile(webhookConfig.secret_file) : env[WEBHOOK_SECRET_ENV];
  if (secret === undefined || secret.trim().length < MIN_SECRET_CHARS) {
    throw new ConfigError(
      `notify.webhook needs a signing secret of at least ${MIN_SECRET_CHARS} characters: set notify.webhook.secret_file to a file only you can write, or ${WEBHOOK_SECRET_ENV} (e.g. from: openssl rand -hex 32)`,
    );
  }
  return {
    webhook: {
      url: webhookConfig.url,
      secret: secret.trim(),
      maxAttempts: webhookConfig.max_attempts ?? 5,
      firstRetryMs: parseDuration(webhookConfig.first_retry_after ?? '1s')!,
    },
    command: config?.command ?? null,
    hidden: webhookConfig.secret_file ? [webhookConfig.secret_file] : [],
  };
}

function webhookFromEnv(url: string): NonNullable<NotifyConfig['webhook']> {
  if (!isHttpUrl(url))
    throw new ConfigError(
      `${WEBHOOK_URL_ENV} must be an http:// or https:// URL without user or password, e.g. https://hooks.example.com/fleet`,
    );
  return { url };
}

function readSecretFile(file: string): string {
  try {
    // A secret another user could write would let them sign payloads; one they could read, forge them.
    assertTrustedFile(file, { what: 'notify.webhook.secret_file', forbiddenMode: 0o077, chmodFix: 'go-rwx' });
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `cannot read notify.webhook.secret_file ${file}: ${(error as Error).message}; write the secret there (chmod 600)`,
    );
  }
}
