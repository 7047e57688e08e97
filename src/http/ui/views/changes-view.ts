import { html } from 'hono/html';
import type { AgentChanges, NotGitChanges } from '../../../fleet/review/changes.js';
import { highlightDiffFile, type DiffLine } from '../diff-lines.js';
import { splitDiffFiles } from '../diff-files.js';
import { agentPath } from '../paths.js';
import { languageOf } from '../syntax.js';
import { shortened } from './format.js';
import type { Html } from './layout.js';

function line(diffLine: DiffLine): Html {
  const tokens = diffLine.tokens.map((token) =>
    token.kind === 'text' ? token.text : html`<span class="${`syntax-${token.kind}`}">${token.text}</span>`,
  );
  return html`<div class="${`diff-line diff-${diffLine.kind}`}">${diffLine.marker}${tokens}</div>`;
}

function diffPart(title: string, text: string): Html | '' {
  if (text === '') return '';
  const files = splitDiffFiles(text).map(
    (file) =>
      html`<details open class="diff-file"><summary><code>${shortened(file.path, 500)}</code></summary>
<div class="diff">${highlightDiffFile(
        file.lines.map((text) => shortened(text)),
        languageOf(file.path),
      ).map(line)}</div></details>`,
  );
  return html`<h2>${title}</h2>${files}`;
}

export function changesView(name: string, changes: AgentChanges | NotGitChanges): Html {
  if (changes.kind === 'not_git') return html`<p>${changes.message}</p>`;
  const { diffstat, diff, ahead, behind, base, branch } = changes;
  const { files, insertions, deletions } = diffstat.committed;
  const next =
    diff.nextOffset === null
      ? ''
      : html`<a href="${agentPath(name, `/changes?offset=${diff.nextOffset}`)}">Next page of the diff</a>`;
  const first = diff.offset > 0 ? html`<a href="${agentPath(name, '/changes')}">First page</a> · ` : '';
  const commits = ahead.items.map(
    (commit) => html`<li><code>${commit.sha.slice(0, 12)}</code> ${shortened(commit.subject, 300)}</li>`,
  );
  return html`<p><code>${branch.name}</code> at <code>${branch.commit.slice(0, 12)}</code>: ${ahead.total} ahead of and
${behind.total} behind <code>${base.ref}</code>; committed ${files} files, +${insertions} −${deletions}.</p>
<ul class="commits">${commits}</ul>
${changes.uncommittedNote ? html`<p class="muted">${changes.uncommittedNote}</p>` : ''}
<p class="pager">${first}diff bytes ${diff.offset}–${diff.offset + diff.shownBytes} of ${diff.totalBytes} ${next}</p>
${diff.parts.map((part) => diffPart(part.source === 'committed' ? 'Committed' : 'Uncommitted', part.text))}`;
}
