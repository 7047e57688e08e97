import { grants, type Scope } from '../../auth/scopes.js';
import { toolScope } from '../fleet-tools.js';

/** The tools the app offers as buttons on an agent, in the order it shows them. */
export const APP_ACTIONS = ['cancel_agent_task', 'merge_agent', 'delete_agent'] as const;
export type AppAction = (typeof APP_ACTIONS)[number];

/**
 * The actions a token with `scopes` may take, by the scope each tool declares: the app shows no button the server
 * would refuse (the server still refuses it, as the tool is not registered for that token).
 */
export function allowedActions(scopes: readonly Scope[]): AppAction[] {
  return APP_ACTIONS.filter((tool) => grants(scopes, toolScope(tool)));
}
