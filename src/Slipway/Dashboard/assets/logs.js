// The Logs tab (LogsPage.razor): follows the JSON API's log stream of one app environment.
//  - GET /v1/apps/APP/logs?follow=true&tail=N[&service=&level=&grep=] answers NDJSON: the stored lines that match, then
//    new ones as they come, filtered on the server; an empty line is the server's keep-alive and is skipped.
//  - Each entry becomes a line of text nodes (never HTML); the newest data-max lines are kept, the oldest dropped.
//  - Pause keeps reading but holds new lines back (bounded as well); Resume shows them.
//  - A new filter reconnects; a stream that ends (a restart, a proxy's cut) reconnects with since= the newest line's
//    time, skipping the lines sent again that it shows already; a busy or restarting platform (429, 5xx) is asked
//    again later, backing off (Retry-After when given).

const retryDelay = 1000;

/** One NDJSON text chunk after another: the complete lines so far and the rest to prepend to the next chunk. */
export function splitLines(pending, chunk) {
  const text = pending + chunk;
  const lines = text.split('\n');
  const rest = lines.pop();
  return { lines, rest };
}

/** The query of a stream: follow, a tail, the filters given, and since= when reconnecting. */
export function streamQuery(base, filters, since, tail) {
  const url = new URL(base, 'http://x');
  url.searchParams.set('follow', 'true');
  url.searchParams.set('tail', String(tail));
  for (const name of ['service', 'level', 'grep']) {
    if (filters[name]) {
      url.searchParams.set(name, filters[name]);
    }
  }
  if (since) {
    url.searchParams.set('since', since);
  }
  return url.pathname + url.search;
}

/** 2026-12-06T09:12:03.1234567+00:00 → 09:12:03.123 (the whole time is the line's title). */
export function clock(iso) {
  const match = /T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(iso ?? '');
  return match ? match[1] + (match[2] ?? '') : String(iso ?? '');
}

function render(entry) {
  const line = document.createElement('div');
  const level = entry.l || (entry.k === 'err' ? 'error' : 'info');
  line.className = `line level-${level}${entry.k === 'platform' ? ' platform' : ''}`;
  const parts = [
    ['at', clock(entry.t)],
    ['who', `${entry.s || '-'}${entry.i ? '/' + entry.i.slice(-6) : ''}`],
    ['level', level],
    ['message', entry.m],
  ];
  for (const [name, text] of parts) {
    const part = document.createElement('span');
    part.className = name;
    part.append(document.createTextNode(text));
    line.append(part, document.createTextNode(' '));
  }
  line.title = entry.t;
  return line;
}

function setUp(log) {
  const form = document.getElementById('log-filters');
  const pause = document.getElementById('log-pause');
  const state = document.getElementById('log-state');
  const max = Number(log.dataset.max) || 2000;
  let paused = false;
  let held = [];
  let heldDropped = 0;
  let controller = null;
  // The newest time seen, where a reconnect asks from (since=), and the raw lines shown lately, so the stored lines a
  // reconnect sends again are not shown twice. Live lines are never dropped by their time: an app's stdout and stderr,
  // and its replicas, are read on threads of their own, so a line may arrive stamped a moment before one shown.
  let newest = null;
  const recent = new Set();
  const recentOrder = [];
  let backoff = retryDelay;
  let generation = 0;

  const filters = () => Object.fromEntries(['service', 'level', 'grep'].map((n) => [n, form.elements[n].value.trim()]));

  function say(text) {
    state.textContent = text;
  }

  function atBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  function show(entries) {
    if (entries.length === 0) {
      return;
    }
    const follow = atBottom();
    const fragment = document.createDocumentFragment();
    for (const entry of entries.slice(-max)) {
      fragment.append(render(entry));
    }
    log.append(fragment);
    while (log.childElementCount > max) {
      log.firstElementChild.remove();
    }
    if (follow) {
      log.scrollTop = log.scrollHeight;
    }
  }

  function remember(raw) {
    recent.add(raw);
    recentOrder.push(raw);
    if (recentOrder.length > 2 * max) {
      recent.delete(recentOrder.shift());
    }
  }

  function take(raw, replay) {
    let entry;
    try {
      entry = JSON.parse(raw);
    } catch {
      return;
    }
    if (entry.k === 'error') {
      // A search that failed on a line after the stream began: the stream ends here, with its reason.
      say(entry.m);
      return 'stop';
    }
    if (replay && recent.has(raw)) {
      return; // sent again after a reconnect: shown already
    }
    remember(raw);
    if (newest === null || entry.t > newest) {
      newest = entry.t;
    }
    if (paused) {
      held.push(entry);
      if (held.length > max) {
        held.shift();
        heldDropped++;
      }
      say(`Paused: ${held.length + heldDropped} new line${held.length + heldDropped === 1 ? '' : 's'} held back.`);
      return;
    }
    show([entry]);
  }

  async function connect(fresh) {
    const mine = ++generation;
    controller?.abort();
    controller = new AbortController();
    if (fresh) {
      log.replaceChildren();
      held = [];
      heldDropped = 0;
      newest = null;
      recent.clear();
      recentOrder.length = 0;
    }
    const replay = !fresh && newest !== null;
    const url = streamQuery(log.dataset.stream, filters(), fresh ? null : newest, fresh ? 200 : 2000);
    say(fresh ? 'Connecting…' : 'Reconnecting…');
    let response;
    try {
      response = await fetch(url, { signal: controller.signal, headers: { Accept: 'application/x-ndjson' }, credentials: 'same-origin' });
    } catch {
      if (mine === generation) {
        retry();
      }
      return;
    }
    if (response.status === 401) {
      location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
      return;
    }
    if (response.status === 429 || response.status >= 500) {
      // Busy (searches at once) or the platform restarting: again later, the longer the more it fails.
      const wait = Number(response.headers.get('Retry-After')) * 1000 || backoff;
      backoff = Math.min(backoff * 2, 30_000);
      if (mine === generation) {
        retry(wait);
      }
      return;
    }
    if (!response.ok) {
      // A filter the API refuses (an unknown service, a pattern that is no regular expression): its words, no retry.
      const text = await response.text();
      let detail = `The platform answered ${response.status}.`;
      try {
        detail = JSON.parse(text).detail || detail;
      } catch {
        // not JSON
      }
      say(detail);
      return;
    }
    backoff = retryDelay;
    if (!paused) {
      say('Following new lines.');
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let rest = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        const split = splitLines(rest, value);
        rest = split.rest;
        for (const raw of split.lines) {
          if (raw.length > 0 && take(raw, replay) === 'stop') {
            return;
          }
        }
      }
    } catch {
      // aborted (a new filter) or cut: handled below
    }
    if (mine === generation) {
      retry();
    }
  }

  function retry(wait = retryDelay) {
    say('The stream ended; reconnecting…');
    setTimeout(() => {
      connect(false);
    }, wait);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams(location.search);
    for (const [name, value] of Object.entries(filters())) {
      if (value) {
        query.set(name, value);
      } else {
        query.delete(name);
      }
    }
    history.replaceState(null, '', location.pathname + (query.size ? '?' + query : ''));
    if (paused) {
      pause.click(); // a new search shows what it finds
    }
    connect(true);
  });
  for (const select of form.querySelectorAll('select')) {
    select.addEventListener('change', () => form.requestSubmit());
  }

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (paused) {
      say('Paused: new lines are held back.');
      return;
    }
    const shown = held;
    held = [];
    heldDropped = 0;
    log.scrollTop = log.scrollHeight;
    show(shown);
    log.scrollTop = log.scrollHeight;
    say('Following new lines.');
  });

  connect(true);
}

if (typeof document !== 'undefined') {
  document.addEventListener('DOMContentLoaded', () => {
    const log = document.getElementById('log');
    if (log?.dataset.stream) {
      setUp(log);
    }
  });
}
