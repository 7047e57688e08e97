/**
 * The hidden command `fleet-mcp stdio` starts the background fleet with. A module of its own, so the CLI and the
 * stdio client can name the command and its exit status without loading the fleet.
 */
export const HOST_COMMAND = '__fleet-host';

/** Exit status of a host that found the data dir held by another server: its clients attach to that one. */
export const HOST_DATA_DIR_IN_USE = 3;

/** A host stays this long after its last client left and its last task ended, so a client that restarts finds it. */
export const HOST_IDLE_EXIT_MS = 5000;
/** How often a host looks whether it is idle. */
export const HOST_IDLE_CHECK_MS = 1000;
