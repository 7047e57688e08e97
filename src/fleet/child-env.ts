/**
 * The environment of an agent process: the server's own minus everything that configures the server (above all
 * the auth token, which must never reach an agent, nor the systemd credentials folder that may hold it), plus
 * the role's variables.
 */
export function childEnv(base: NodeJS.ProcessEnv, roleEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || isServerVariable(name)) continue;
    env[name] = value;
  }
  return { ...env, ...roleEnv };
}

function isServerVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return upper.startsWith('FLEET_MCP_') || upper === 'AUTH_ENABLED' || upper === 'CREDENTIALS_DIRECTORY';
}
