/** The web view's stylesheet, served as /ui/assets/app.css (the CSP allows no inline style). */
export const APP_STYLES = `
:root { color-scheme: light dark; --muted: #777; --add: #1a7f3722; --del: #cf222e22; --hunk: #0969da22; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1rem 2rem; }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 0; border-bottom: 1px solid #8884; }
header .who { margin-left: auto; color: var(--muted); }
a.brand { font-weight: 600; text-decoration: none; }
form.inline { display: inline; }
.muted { color: var(--muted); }
.error { color: #cf222e; font-weight: 600; }
table.agents { border-collapse: collapse; width: 100%; }
table.agents th, table.agents td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8883; vertical-align: top; }
td.task, dd.task { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 40ch; }
.status, .outcome { font-weight: 600; }
.status-busy, .status-starting, .status-canceling { color: #0969da; }
.status-failed, .outcome-failed, .outcome-agent_error, .outcome-exit_error, .outcome-timed_out { color: #cf222e; }
.outcome-succeeded, .status-idle { color: #1a7f37; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
nav.actions { display: flex; gap: 1rem; padding: .6rem 0; flex-wrap: wrap; }
nav.actions form { display: flex; gap: .4rem; align-items: center; }
button.action-delete { color: #cf222e; }
nav.tabs { display: flex; gap: 1rem; border-bottom: 1px solid #8884; margin: 1rem 0 .5rem; }
.tab { padding: .3rem .2rem; }
.tab.current { font-weight: 600; border-bottom: 2px solid currentColor; }
.log, .diff { font: 12px/1.35 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
.line .time { color: var(--muted); }
.line.stderr .text { color: #cf222e; }
.line.system .text { color: #8250df; }
.diff-added { background: var(--add); }
.diff-removed { background: var(--del); }
.diff-hunk { background: var(--hunk); color: var(--muted); }
.diff-meta { color: var(--muted); font-weight: 600; }
.syntax-keyword { color: #cf222e; }
.syntax-string { color: #0a3069; }
.syntax-comment { color: #6e7781; font-style: italic; }
.syntax-number { color: #0550ae; }
@media (prefers-color-scheme: dark) {
  .syntax-string { color: #a5d6ff; }
  .syntax-keyword { color: #ff7b72; }
  .syntax-number { color: #79c0ff; }
}
details.diff-file { margin: .5rem 0; border: 1px solid #8884; }
details.diff-file summary { padding: .3rem .5rem; cursor: pointer; }
pre.task, pre.answer { white-space: pre-wrap; overflow-wrap: anywhere; }
article.task-record { border-bottom: 1px solid #8883; padding: .5rem 0; }
form.login { display: flex; gap: .5rem; align-items: center; }
`;
