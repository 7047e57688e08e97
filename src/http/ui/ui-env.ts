import type { HttpBindings } from '@hono/node-server';
import type { TokenIdentity } from '../../auth/identity.js';
import type { UiSession } from './sessions.js';

/** What the session middleware leaves for the routes after it: who is looking, and their login. */
export type UiEnv = { Bindings: HttpBindings; Variables: { identity: TokenIdentity; uiSession: UiSession } };
