import * as z from 'zod';
import { TASK_HISTORY_PAGES } from '../../fleet/fleet.js';
import { agentNameArg, fleetTool, jsonAnswer, pageArgs, READ_ONLY, strictArgs } from '../fleet-tool.js';
import { outputSchema, pagingFields, taskSchema } from '../output-schemas.js';

const output = outputSchema({ tasks: z.array(taskSchema), ...pagingFields });

export const showAgentTaskHistory = fleetTool({
  name: 'show_agent_task_history',
  scope: 'read',
  title: 'Show agent task history',
  description: "Lists an agent's tasks, newest first: what each was asked, how it ended, what it changed.",
  input: strictArgs('show_agent_task_history', { name: agentNameArg, ...pageArgs(TASK_HISTORY_PAGES) }),
  output,
  annotations: READ_ONLY,
  handler: ({ name, page, page_size }, { fleet }) => {
    const { items, ...paging } = fleet.taskHistory(name, { page, pageSize: page_size });
    return jsonAnswer({ tasks: items, ...paging });
  },
});
