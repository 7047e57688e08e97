import type { McpServer, ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';

function send(server: McpServer, event: ServerEvent): Promise<void> | undefined {
  if (!server.isConnected()) return undefined;
  if (event.kind === 'resource_updated') return server.server.sendResourceUpdated({ uri: event.uri });
  if (event.kind === 'resources_list_changed') return server.server.sendResourceListChanged();
  return undefined;
}

/**
 * Hands the fleet's change events to the server of one stdio connection until it closes. On stdio the v2 SDK has no
 * bus: it routes what the connection's server sends onto the `subscriptions/listen` streams that asked for it.
 */
export function forwardEvents(bus: ServerEventBus, server: McpServer): void {
  const unsubscribe = bus.subscribe((event) => void send(server, event)?.catch(() => {}));
  const closed = server.server.onclose;
  server.server.onclose = () => {
    closed?.();
    unsubscribe();
  };
}
