/**
 * What a token may do. Scopes nest: `run` includes `read`, and `admin` includes everything. The shared token is
 * admin.
 */
export const SCOPES = ['read', 'run', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const RANK: Record<Scope, number> = { read: 0, run: 1, admin: 2 };

export function grants(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.some((scope) => RANK[scope] >= RANK[needed]);
}

export function isScope(text: string): text is Scope {
  return (SCOPES as readonly string[]).includes(text);
}
