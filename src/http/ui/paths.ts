/** Where the web view lives; its cookie is sent only under it. */
export const UI_PREFIX = '/ui';
export const LOGIN_PATH = `${UI_PREFIX}/login`;
export const LOGOUT_PATH = `${UI_PREFIX}/logout`;
export const EVENTS_PATH = `${UI_PREFIX}/events`;
export const ASSETS_PATH = `${UI_PREFIX}/assets`;

export function agentPath(name: string, tail = ''): string {
  return `${UI_PREFIX}/agents/${encodeURIComponent(name)}${tail}`;
}
