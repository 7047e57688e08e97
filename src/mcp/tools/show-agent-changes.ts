import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { DEFAULT_DIFF_LIMIT_BYTES } from '../../fleet/review/changes.js';
import { agentNameArg, type FleetToolDeps } from '../fleet-tool.js';
import { jsonResult } from '../tool-result.js';

const MAX_DIFF_LIMIT_BYTES = 1024 * 1024;

const inputSchema = z.object({
  agent_name: agentNameArg,
  path: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      'Only changes under this path (a git pathspec relative to the repository root, e.g. "src" or "*.md"). ' +
        "Default: the project's folder when the project is a sub-folder of its repository, else everything.",
    ),
  diff_offset: z.number().int().min(0).default(0).describe('Byte offset into the whole diff: 0, or diff.nextOffset of the previous answer.'),
  diff_limit_bytes: z
    .number()
    .int()
    .min(256)
    .max(MAX_DIFF_LIMIT_BYTES)
    .default(DEFAULT_DIFF_LIMIT_BYTES)
    .describe(`Most bytes of diff text in one answer (default ${DEFAULT_DIFF_LIMIT_BYTES}).`),
});

export function registerShowAgentChanges(server: McpServer, deps: FleetToolDeps): void {
  server.registerTool(
    'show_agent_changes',
    {
      title: 'Show agent changes',
      description:
        "Step 3 of create → wait → show changes → merge → delete: what an agent changed, to review before merge_agent. " +
        'Returns {"agent","kind":"git","base":{"ref","commit","tip","refGone"},"branch":{"name","commit"},"mergeBase",' +
        '"ahead":{"items":[{"sha","subject","time"}],"total"},"behind":{...},"diffstat":{"committed","uncommitted"},' +
        '"uncommitted":{"staged","unstaged","untracked"},"diff":{"parts":[{"source","from","to","text"}],"offset",' +
        '"shownBytes","totalBytes","totalFiles","nextOffset","leftOut"},"pathFilter"}: commits ahead of and behind its ' +
        'base, a diffstat, uncommitted files, and one page of the unified diff (committed work since the base, then ' +
        'uncommitted work); when nextOffset is not null, call again with diff_offset=nextOffset for the rest. The ' +
        "agent's branch is fetched from its own repository first; pass branch.commit to merge_agent as commit. For a " +
        'project that is not a git repository it returns {"kind":"not_git","message"} saying what cannot be shown.',
      inputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ agent_name, path, diff_offset, diff_limit_bytes }) =>
      jsonResult(await deps.fleet.agentChanges(agent_name, { path, diffOffset: diff_offset, diffLimitBytes: diff_limit_bytes })),
  );
}
