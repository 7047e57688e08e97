/**
 * The web view's one script, served as /ui/assets/app.js (the CSP allows no inline script). The pages are whole
 * without it; it asks before an action, and on each event of the page's stream fetches the page again and swaps in
 * its live part, keeping a live log scrolled to its newest line when the reader was there. It only moves nodes the server rendered, with agent text already escaped there: it never builds
 * HTML from text.
 */
export const APP_SCRIPT = `'use strict';
(function () {
  document.addEventListener('submit', function (event) {
    var question = event.target.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
  var events = document.body.getAttribute('data-events');
  if (!events || typeof EventSource === 'undefined') return;
  var busy = false;
  var again = false;
  function toLogin(response) {
    return response.status === 401 || new URL(response.url).pathname === '/ui/login';
  }
  function atBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 8;
  }
  function followLog() {
    if (document.querySelector('.log')) window.scrollTo(0, document.documentElement.scrollHeight);
  }
  function swap(text) {
    var next = new DOMParser().parseFromString(text, 'text/html').getElementById('live');
    var current = document.getElementById('live');
    if (!next || !current) return;
    var follow = atBottom();
    current.replaceChildren.apply(current, Array.from(next.childNodes, function (node) {
      return document.importNode(node, true);
    }));
    if (follow) followLog();
    document.body.setAttribute('data-refreshed', String(Date.now()));
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (toLogin(response)) { location.assign('/ui/login'); return undefined; }
        return response.text().then(swap);
      })
      .catch(function () { document.body.setAttribute('data-offline', 'true'); })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  followLog();
  var source = new EventSource(events);
  source.addEventListener('change', refresh);
  source.addEventListener('error', function () {
    if (source.readyState === EventSource.CLOSED) refresh();
  });
})();
`;
