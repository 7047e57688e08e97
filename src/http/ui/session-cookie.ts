import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { UI_PREFIX } from './paths.js';

export const SESSION_COOKIE = 'fleet_ui_session';
/** The login form's own CSRF token, before there is a session to hold one. */
export const LOGIN_CSRF_COOKIE = 'fleet_ui_login';

/** Over TLS, directly or through a proxy that says so, the cookie is never sent over plain HTTP. */
function servedOverTls(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.toLowerCase() === 'https';
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), only under /ui. */
export function setUiCookie(c: Context, name: string, value: string): void {
  setCookie(c, name, value, {
    path: UI_PREFIX,
    httpOnly: true,
    sameSite: 'Strict',
    secure: servedOverTls(c),
  });
}

export function clearUiCookie(c: Context, name: string): void {
  deleteCookie(c, name, { path: UI_PREFIX, httpOnly: true, sameSite: 'Strict', secure: servedOverTls(c) });
}

export function readUiCookie(c: Context, name: string): string | undefined {
  const value = getCookie(c, name);
  return value === undefined || value === '' ? undefined : value;
}
