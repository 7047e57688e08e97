/**
 * The fleet app's browser code. The server sends its source text inside the app's HTML (see app-html.ts), so it
 * must use nothing outside its own body: no imports, no module-level names.
 *
 * It speaks the MCP Apps protocol (SEP-1865) to its host over postMessage: `ui/initialize`, then `tools/call`
 * requests that the host forwards to this server with the user's token, as ext-apps' App.callServerTool sends
 * them. Everything an agent wrote (names, tasks, logs, diffs) is set as text, never parsed as HTML.
 */
export function fleetApp(): void {
  type Json = Record<string, unknown>;
  interface ToolResult {
    isError?: boolean;
    content?: { type: string; text?: string }[];
    structuredContent?: Json;
  }
  interface Listed {
    name: string;
    status: string;
    current_task_id: string | null;
    created_at: string;
    last_outcome: { status: string; outcome: string | null; reason: string | null } | null;
    usage: { cost_usd: number } | null;
  }

  const REFRESH_MS = 2000;
  const CONFIRM_MS = 5000;
  const configText = document.getElementById('fleet-app-config')?.textContent ?? '{}';
  const actions: string[] = JSON.parse(configText).actions ?? [];
  const bar = document.getElementById('fleet-app-bar') as HTMLElement;
  const notice = document.getElementById('fleet-app-notice') as HTMLElement;
  const root = document.getElementById('fleet-app') as HTMLElement;

  let nextId = 1;
  const pending = new Map<number, { resolve: (value: Json) => void; reject: (error: Error) => void }>();
  /** The agent shown, or null for the overview. */
  let shown: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  function post(message: Json): void {
    // A sandboxed app has an opaque origin and cannot name its host's; the host checks the source window.
    window.parent.postMessage({ jsonrpc: '2.0', ...message }, '*');
  }

  function request(method: string, params: Json): Promise<Json> {
    const id = nextId++;
    post({ id, method, params });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  }

  function onMessage(event: MessageEvent): void {
    if (event.source !== window.parent) return;
    const message = event.data as Json | null;
    if (message?.jsonrpc !== '2.0') return;
    if (typeof message.method === 'string') {
      if (message.id !== undefined) post({ id: message.id, result: {} });
      if (message.method === 'ui/notifications/tool-input') onToolInput(message.params as Json | undefined);
      return;
    }
    const waiter = pending.get(message.id as number);
    if (!waiter) return;
    pending.delete(message.id as number);
    const error = message.error as { message?: string } | undefined;
    if (error) waiter.reject(new Error(error.message ?? 'The host refused the request.'));
    else waiter.resolve(message.result as Json);
  }

  /** show_agent's call opens its agent; list_agents' the overview. */
  function onToolInput(params: Json | undefined): void {
    const name = (params?.arguments as Json | undefined)?.name;
    show(typeof name === 'string' ? name : null);
  }

  async function callTool(name: string, args: Json): Promise<ToolResult> {
    return (await request('tools/call', { name, arguments: args })) as ToolResult;
  }

  /** Every agent: list_agents a page at a time, until it gives no next cursor. */
  async function allAgents(): Promise<Listed[]> {
    const agents: Listed[] = [];
    let cursor: unknown = null;
    do {
      const listed = await callTool('list_agents', { page_size: 500, ...(cursor ? { cursor } : {}) });
      if (listed.isError) throw new Error(resultText(listed));
      agents.push(...((listed.structuredContent?.agents as Listed[] | undefined) ?? []));
      cursor = listed.structuredContent?.next_cursor;
    } while (typeof cursor === 'string');
    return agents;
  }

  function resultText(result: ToolResult): string {
    return (result.content ?? []).map((part) => part.text ?? '').join('\n');
  }

  function el(tag: string, text?: string, className?: string): HTMLElement {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function age(since: string): string {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
    if (seconds < 60) return `${seconds}s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
    return `${Math.floor(seconds / 86400)}d`;
  }

  function outcome(agent: Listed): string {
    const last = agent.last_outcome;
    if (!last) return '';
    return [last.outcome ?? last.status, last.reason].filter(Boolean).join(': ');
  }

  function row(cells: (string | HTMLElement)[], tag = 'td'): HTMLElement {
    const tr = el('tr');
    for (const cell of cells) {
      const td = el(tag);
      if (typeof cell === 'string') td.textContent = cell;
      else td.append(cell);
      tr.append(td);
    }
    return tr;
  }

  /** What the agent's running or queued task was asked: show_agent's latest task, while it is the current one. */
  async function currentTask(agent: Listed): Promise<string> {
    if (agent.current_task_id === null) return '';
    const last = (await callTool('show_agent', { name: agent.name })).structuredContent?.last_task as Json | null;
    return last?.id === agent.current_task_id ? String(last.description) : '';
  }

  async function renderOverview(agents: Listed[]): Promise<HTMLElement> {
    const section = el('section');
    section.append(el('h1', 'Agents'));
    if (agents.length === 0) {
      section.append(el('p', 'No agents yet.', 'empty'));
      return section;
    }
    const table = el('table', undefined, 'agents');
    table.append(row(['Agent', 'State', 'Current task', 'Last outcome', 'Age', 'Cost'], 'th'));
    const tasks = await Promise.all(agents.map(currentTask));
    for (const [index, agent] of agents.entries()) {
      const open = el('button', agent.name, 'link');
      open.addEventListener('click', () => show(agent.name));
      const cost = agent.usage ? `$${agent.usage.cost_usd.toFixed(2)}` : '';
      const state = el('span', agent.status, `state state-${agent.status}`);
      const task = el('span', tasks[index], 'task');
      table.append(row([open, state, task, outcome(agent), age(agent.created_at), cost]));
    }
    section.append(table);
    return section;
  }

  function tell(text: string, isError: boolean): void {
    notice.textContent = text;
    notice.className = isError ? 'notice error' : 'notice';
  }

  function actionButton(tool: string, name: string): HTMLElement {
    const label = tool.replace(/_agent(_task)?$/, '');
    const button = el('button', label, `action action-${label}`) as HTMLButtonElement;
    let armedAt = 0;
    button.addEventListener('click', async () => {
      // Merging and deleting land or lose work: they take a second click.
      if (tool !== 'cancel_agent_task' && Date.now() - armedAt > CONFIRM_MS) {
        armedAt = Date.now();
        button.textContent = `confirm ${label}`;
        return;
      }
      armedAt = 0;
      button.textContent = label;
      button.disabled = true;
      tell(`${label}…`, false);
      try {
        const result = await callTool(tool, { name });
        tell(resultText(result), result.isError === true);
        if (tool === 'delete_agent' && !result.isError) show(null);
      } catch (error) {
        tell((error as Error).message, true);
      }
      button.disabled = false;
    });
    return button;
  }

  function pre(text: string, className: string): HTMLElement {
    const block = el('pre', undefined, className);
    for (const line of text.split('\n')) {
      const kind = /^\+(?!\+\+)/.test(line) ? 'add' : /^-(?!--)/.test(line) ? 'del' : /^@@/.test(line) ? 'hunk' : '';
      block.append(el('span', `${line}\n`, kind));
    }
    return block;
  }

  function historyList(tasks: Json[]): HTMLElement {
    const table = el('table', undefined, 'history');
    table.append(row(['Task', 'Status', 'Asked', 'Reason'], 'th'));
    for (const task of tasks) {
      table.append(row([String(task.id), String(task.status), String(task.description), String(task.reason ?? '')]));
    }
    return table;
  }

  async function renderAgent(name: string): Promise<HTMLElement> {
    const [agent, log, changes, history] = await Promise.all([
      callTool('show_agent', { name }),
      callTool('show_agent_log', { name, page_size: 200 }),
      callTool('show_agent_changes', { name }),
      callTool('show_agent_task_history', { name, page_size: 20 }),
    ]);
    const section = el('section', undefined, 'agent');
    if (agent.isError) {
      section.append(el('p', resultText(agent), 'notice error'));
      return section;
    }
    const state = agent.structuredContent as Json;
    const heading = el('h1', name);
    heading.append(' ', el('span', String(state.status), `state state-${String(state.status)}`));
    section.append(heading);
    if (state.status_reason) section.append(el('p', String(state.status_reason)));
    const lines = ((log.structuredContent?.lines as Json[] | undefined) ?? []).slice().reverse();
    section.append(el('h2', 'Log'), pre(lines.map((line) => `${line.stream} ${line.text}`).join('\n'), 'log'));
    section.append(el('h2', 'Changes'), pre(resultText(changes), 'diff'));
    section.append(el('h2', 'History'), historyList((history.structuredContent?.tasks as Json[] | undefined) ?? []));
    return section;
  }

  /** The back link and the actions the token allows: built once per agent, so a refresh keeps a click's state. */
  function renderBar(name: string | null): void {
    bar.replaceChildren();
    if (name === null) return;
    const back = el('button', '← all agents', 'link back');
    back.addEventListener('click', () => show(null));
    bar.append(back);
    for (const tool of actions) bar.append(actionButton(tool, name));
  }

  /** Shows the agent, or the overview for null, and keeps it fresh until another is shown. */
  function show(name: string | null): void {
    shown = name;
    generation += 1;
    clearTimeout(timer);
    renderBar(name);
    tell('', false);
    void refresh(generation);
  }

  async function refresh(mine: number): Promise<void> {
    let view: HTMLElement;
    try {
      if (shown === null) {
        view = await renderOverview(await allAgents());
      } else {
        view = await renderAgent(shown);
      }
    } catch (error) {
      view = el('p', (error as Error).message, 'notice error');
    }
    if (mine !== generation) return;
    root.replaceChildren(view);
    timer = setTimeout(() => void refresh(mine), REFRESH_MS);
  }

  window.addEventListener('message', onMessage);
  new ResizeObserver(() => {
    post({ method: 'ui/notifications/size-changed', params: { height: document.documentElement.scrollHeight } });
  }).observe(document.documentElement);
  void (async () => {
    await request('ui/initialize', {
      appInfo: { name: 'fleet-mcp', version: '1' },
      appCapabilities: {},
      protocolVersion: '2026-01-26',
    });
    post({ method: 'ui/notifications/initialized', params: {} });
    if (generation === 0) show(null);
  })();
}
