import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServerEventBus } from '@modelcontextprotocol/server';
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { AgentChange, Fleet } from '../fleet/fleet.js';
import { FleetError } from '../fleet/errors.js';
import { agentKey } from '../fleet/agents/names.js';
import type { Logger } from '../log.js';
import { agentResourceUri, parseAgentResourceUri, type AgentResourceKind } from './agent-resources.js';

/** Often enough to follow a busy agent's log, rarely enough that a chatty one does not flood its subscribers. */
export const RESOURCE_UPDATE_DEBOUNCE_MS = 300;

export interface ResourceSubscriptionsOptions {
  fleet: Fleet;
  logger: Logger;
  /** A resource that keeps changing is announced to a session at most once per this many ms. */
  debounceMs: number;
  /** Where 2026-07-28 `subscriptions/listen` streams hear of changes; the SDK filters them per stream. */
  bus: ServerEventBus;
}

interface Subscription {
  key: string;
  kind: AgentResourceKind;
}

/** One session's server, what it subscribed to, and the announcements waiting out the debounce. */
interface Listener {
  server: McpServer;
  subscriptions: Map<string, Subscription>;
  pending: Map<string, NodeJS.Timeout>;
}

/**
 * Resource subscriptions of the MCP sessions: a session that subscribed to an agent's log or state is sent
 * `notifications/resources/updated` when it changes, and every session is sent `list_changed` when agents appear
 * or go. Only sessions attach: a stateless request has no stream to be told anything on.
 */
export class ResourceSubscriptions {
  private readonly listeners = new Set<Listener>();
  /** The announcements to the listen streams waiting out the debounce, by kind and agent. */
  private readonly pendingOnBus = new Map<string, NodeJS.Timeout>();
  private agents: Set<string>;
  private readonly stopListening: () => void;

  constructor(private readonly options: ResourceSubscriptionsOptions) {
    this.agents = this.agentKeys();
    this.stopListening = options.fleet.onChange((change) => this.changed(change));
  }

  /**
   * Lets the session's server (not yet connected) take subscriptions; they end when its connection closes (DELETE,
   * idle expiry, shutdown).
   */
  attach(server: McpServer): void {
    const listener: Listener = { server, subscriptions: new Map(), pending: new Map() };
    server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
    server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
      listener.subscriptions.set(request.params.uri, this.subscription(request.params.uri));
      return {};
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      listener.subscriptions.delete(request.params.uri);
      return {};
    });
    const closed = server.server.onclose;
    server.server.onclose = () => {
      closed?.();
      this.detach(listener);
    };
    this.listeners.add(listener);
  }

  close(): void {
    this.stopListening();
    for (const timer of this.pendingOnBus.values()) clearTimeout(timer);
    this.pendingOnBus.clear();
    for (const listener of this.listeners) this.detach(listener);
  }

  private subscription(uri: string): Subscription {
    const parsed = parseAgentResourceUri(uri);
    if (!parsed)
      throw new McpError(
        ErrorCode.InvalidParams,
        `Cannot subscribe to ${uri}: use fleet://agents/{name}/log or fleet://agents/{name}/state.`,
      );
    try {
      return { key: agentKey(this.options.fleet.showAgent(parsed.name).name), kind: parsed.kind };
    } catch (error) {
      if (error instanceof FleetError) throw new McpError(ErrorCode.InvalidParams, error.message);
      throw error;
    }
  }

  private detach(listener: Listener): void {
    for (const timer of listener.pending.values()) clearTimeout(timer);
    listener.pending.clear();
    listener.subscriptions.clear();
    this.listeners.delete(listener);
  }

  private changed(change: AgentChange): void {
    this.publish(change);
    for (const listener of this.listeners) {
      for (const [uri, subscription] of listener.subscriptions) {
        if (subscription.key === change.key && subscription.kind === change.kind) this.schedule(listener, uri);
      }
    }
    if (change.kind === 'state') this.announceListChange();
  }

  /** Announces the resource once the debounce has passed; changes meanwhile ride on that one announcement. */
  private schedule(listener: Listener, uri: string): void {
    if (listener.pending.has(uri)) return;
    const timer = setTimeout(() => {
      listener.pending.delete(uri);
      listener.server.server.sendResourceUpdated({ uri }).catch((error: unknown) => this.notSent(error, uri));
    }, this.options.debounceMs);
    timer.unref();
    listener.pending.set(uri, timer);
  }

  /** Tells the listen streams, debounced as for sessions; a stream that did not ask for the URI is not told. */
  private publish(change: AgentChange): void {
    const pendingKey = `${change.kind} ${change.key}`;
    if (this.pendingOnBus.has(pendingKey)) return;
    const timer = setTimeout(() => {
      this.pendingOnBus.delete(pendingKey);
      // By the name as resources/list gives it, which is the URI a stream asks for; a deleted agent has none.
      const name = this.options.fleet.agentName(change.key);
      if (name !== null)
        this.options.bus.publish({ kind: 'resource_updated', uri: agentResourceUri(name, change.kind) });
    }, this.options.debounceMs);
    timer.unref();
    this.pendingOnBus.set(pendingKey, timer);
  }

  /** A state change may be an agent appearing or going: then every session hears that the list changed. */
  private announceListChange(): void {
    const agents = this.agentKeys();
    const same = agents.size === this.agents.size && [...agents].every((key) => this.agents.has(key));
    this.agents = agents;
    if (same) return;
    this.options.bus.publish({ kind: 'resources_list_changed' });
    for (const listener of this.listeners) {
      listener.server.server.sendResourceListChanged().catch((error: unknown) => this.notSent(error, 'resources/list'));
    }
  }

  private agentKeys(): Set<string> {
    return new Set(this.options.fleet.listAgents().map((agent) => agentKey(agent.name)));
  }

  /** A session whose stream went away misses the announcement; it is not the server's error. */
  private notSent(error: unknown, uri: string): void {
    this.options.logger.debug({ uri, err: error }, 'resource notification not sent');
  }
}
