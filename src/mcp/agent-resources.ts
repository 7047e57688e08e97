import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { Fleet } from '../fleet/fleet.js';
import type { LogLine } from '../fleet/types.js';
import type { FleetToolDeps } from './fleet-tool.js';

/** Lines a log resource shows: the newest output, as show_agent_log's first pages would. */
export const LOG_RESOURCE_LINES = 200;

export type AgentResourceKind = 'log' | 'state';

const URI_PATTERN = /^fleet:\/\/agents\/([^/?#]+)\/(log|state)$/;

export function agentResourceUri(name: string, kind: AgentResourceKind): string {
  return `fleet://agents/${encodeURIComponent(name)}/${kind}`;
}

/** The agent name and the kind of an agent resource URI, or undefined for any other URI. */
export function parseAgentResourceUri(uri: string): { name: string; kind: AgentResourceKind } | undefined {
  const match = URI_PATTERN.exec(uri);
  if (!match) return undefined;
  try {
    return { name: decodeURIComponent(match[1]!), kind: match[2] as AgentResourceKind };
  } catch {
    return undefined;
  }
}

function logText(lines: readonly LogLine[]): string {
  return lines.map((line) => `${line.time} [${line.stream}] ${line.text}\n`).join('');
}

async function readAgent(fleet: Fleet, uri: URL, kind: AgentResourceKind): Promise<ReadResourceResult> {
  const parsed = parseAgentResourceUri(uri.href);
  if (!parsed)
    throw new Error(
      `Not an agent resource: ${uri.href}. Use fleet://agents/{name}/log or fleet://agents/{name}/state.`,
    );
  if (kind === 'state') {
    return {
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: JSON.stringify(fleet.showAgent(parsed.name), null, 2) },
      ],
    };
  }
  const newestFirst = (await fleet.agentLog(parsed.name, { page: 1, pageSize: LOG_RESOURCE_LINES })).items;
  return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: logText([...newestFirst].reverse()) }] };
}

function template(fleet: Fleet, kind: AgentResourceKind): ResourceTemplate {
  return new ResourceTemplate(`fleet://agents/{name}/${kind}`, {
    list: () => ({
      resources: fleet.listAgents().map((agent) => ({
        uri: agentResourceUri(agent.name, kind),
        name: `${agent.name} ${kind}`,
        mimeType: kind === 'state' ? 'application/json' : 'text/plain',
      })),
    }),
    complete: {
      name: (value) =>
        fleet
          .listAgents()
          .map((agent) => agent.name)
          .filter((name) => name.startsWith(value)),
    },
  });
}

/**
 * Each agent's log and state as resources, listed for every existing agent. In a session a client may subscribe
 * to them (see ResourceSubscriptions) instead of polling show_agent and show_agent_log.
 */
export function registerAgentResources(server: McpServer, deps: FleetToolDeps): void {
  server.registerResource(
    'agent-log',
    template(deps.fleet, 'log'),
    {
      title: 'Agent log',
      description: `The newest ${LOG_RESOURCE_LINES} lines of the agent's output, oldest first, one "time [stream] text" per line (show_agent_log pages further back).`,
      mimeType: 'text/plain',
    },
    (uri) => readAgent(deps.fleet, uri, 'log'),
  );
  server.registerResource(
    'agent-state',
    template(deps.fleet, 'state'),
    {
      title: 'Agent state',
      description: 'The agent as show_agent returns it: status, where it works, its latest task.',
      mimeType: 'application/json',
    },
    (uri) => readAgent(deps.fleet, uri, 'state'),
  );
}
