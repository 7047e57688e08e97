/**
 * The hidden command `fleet-mcp stdio` starts the background fleet with. A module of its own, so the CLI can name
 * the command without loading the fleet.
 */
export const HOST_COMMAND = '__fleet-host';
