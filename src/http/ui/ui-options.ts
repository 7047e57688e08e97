import type { FailureThrottle } from '../../auth/throttle.js';
import type { TokenRateLimiter } from '../../auth/token-rate.js';
import type { Authentication } from '../../auth/token-registry.js';
import type { UsageRecorder } from '../../auth/token-usage.js';
import type { Clock } from '../../clock.js';
import type { Fleet } from '../../fleet/fleet-api.js';
import type { Logger } from '../../log.js';
import type { TokenBoundRequests } from '../token-bound-requests.js';
import type { UiSessions } from './sessions.js';

/** What the web view needs of the server: the fleet, and the same auth machinery /mcp uses. */
export interface UiAppOptions {
  fleet: Fleet;
  logger: Logger;
  clock: Clock;
  sessions: UiSessions;
  /** Present when auth is enabled: judges a token presented at login, as bearer auth judges one. */
  authenticate?: (token: string) => Authentication;
  /** The throttle of failed bearer auth: failed logins count in the same windows. */
  throttle?: FailureThrottle;
  /** Cuts a session's open streams when its token stops being accepted, as it cuts /mcp requests. */
  requests?: TokenBoundRequests;
  usage?: UsageRecorder;
  /** The per-minute limits of tokens that carry one, counted with the token's /mcp requests. */
  rateLimiter?: TokenRateLimiter;
}
