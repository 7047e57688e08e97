// Types of auth-header-values.mjs, for the test that imports it.
export function authHeaderValue(token: string): string;
export function shouldAccept(header: string, token: string): boolean;
