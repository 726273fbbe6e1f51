// A deployment's page (DeploymentPage.razor): its deploy log, streamed from the JSON API while it runs.
//  - GET data-log (/v1/deployments/ID/log?follow=true) with the session cookie: NDJSON, one entry a line
//    ({"t":time,"k":kind,"m":message,"s":service}), the stored lines first, then new ones until the final status;
//  - each entry becomes one line of #deploy-log, appended as a text node (never HTML: a build prints what it likes);
//  - the view follows the newest line unless the reader scrolled up (then "Follow new lines" brings it back);
//  - when the stream ends: the final status (GET data-deployment) in #log-status, and the facts refreshed
//    ("slipway:changed"). A stream cut before the final status (the platform restarted) is read again from the start.
// Lines read as `slipway deploy` prints them (Deploy/DeployLogLines): "==> step", "    | last lines", "    [service] output".

const log = document.getElementById('deploy-log');
const status = document.getElementById('log-status');
const follow = document.getElementById('log-follow');
const terminal = new Set(['live', 'retired', 'failed', 'cancelled']);

/** The text of one entry, or null for entries people do not read (status changes are shown apart). */
export function lineOf(entry) {
  switch (entry.k) {
    case 'status':
      return null;
    case 'deploy':
      return '==> ' + entry.m;
    case 'tail':
      return '    | ' + entry.m;
    case 'error':
      return 'error: ' + entry.m;
    default:
      return (entry.s ? `    [${entry.s}] ` : '    ') + entry.m;
  }
}

/** Whether the reader is at the bottom (within a few pixels): only then do new lines scroll the view. */
function atBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 8;
}

let following = true;

function scrollToEnd() {
  log.scrollTop = log.scrollHeight;
}

function append(text, kind) {
  const line = document.createElement('div');
  line.className = 'line ' + kind;
  line.append(document.createTextNode(text));
  log.append(line);
  if (following) {
    scrollToEnd();
  }
}

function say(text) {
  status.textContent = text;
}

async function finalStatus() {
  const response = await fetch(log.dataset.deployment, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    return null;
  }
  return response.ok ? response.json() : null;
}

function describe(deployment) {
  const words = `Final status: ${deployment.status}`;
  if (deployment.failedStep && deployment.error) {
    return `${words} at ${deployment.failedStep}: ${deployment.error}`;
  }
  return deployment.durationSeconds != null ? `${words} (took ${deployment.durationSeconds} s).` : `${words}.`;
}

/** Reads the stream to its end; returns the last status entry seen. */
async function read() {
  const response = await fetch(log.dataset.log, { headers: { Accept: 'application/x-ndjson' }, credentials: 'same-origin' });
  if (response.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    return null;
  }
  if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    // Gone, or no longer allowed: asking again would not change it.
    let detail = `The platform answered ${response.status}.`;
    try {
      detail = (await response.json()).detail || detail;
    } catch {
      // not JSON
    }
    throw Object.assign(new Error(detail), { final: true });
  }
  if (!response.ok || !response.body) {
    throw new Error(`The platform answered ${response.status}.`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  let last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    pending += value;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const text of lines) {
      if (!text.trim()) {
        continue;
      }
      const entry = JSON.parse(text);
      if (entry.k === 'status') {
        last = entry.m;
        if (!terminal.has(last)) {
          say(`Following the log: ${last}…`);
        }
        continue;
      }
      append(lineOf(entry), entry.k);
    }
  }
  return last;
}

async function run() {
  for (let attempt = 0; ; attempt++) {
    try {
      const last = await read();
      const deployment = await finalStatus();
      if (deployment && terminal.has(deployment.status)) {
        say(describe(deployment));
        window.htmx?.trigger(document.body, 'slipway:changed');
        return;
      }
      if (last === null && deployment === null) {
        return;
      }
    } catch (error) {
      if (error.final) {
        say(`The log could not be read: ${error.message}`);
        return;
      }
      say(`The log could not be read (${error.message}); trying again…`);
    }
    // Cut before the final status: read it again from the start after a pause.
    await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * (attempt + 1))));
    log.replaceChildren();
  }
}

if (log) {
  log.addEventListener('scroll', () => {
    following = atBottom();
    follow.hidden = following;
  });
  follow.addEventListener('click', () => {
    following = true;
    follow.hidden = true;
    scrollToEnd();
    log.focus();
  });
  run();
}
