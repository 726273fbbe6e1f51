// The dashboard's own script (Dashboard/README.md), loaded as a module after htmx on every page:
//  - the login form: posts JSON to /v1/login, shows the refusal or asks for the second factor, then goes back;
//  - the logout button;
//  - htmx's "slipway" extension: the X-CSRF-Token header on every request that changes something, the values of an
//    action on the JSON API (/v1/...) sent as JSON (data-json verbatim, else its values as strings), its answer shown in the page's notice line, the fragments
//    refreshed after it ("slipway:changed"), the login page when a session ran out, and no eval at all.
// The pages' CSP allows no inline script or style, so nothing here writes a style attribute or builds code.

const csrfHeader = 'X-CSRF-Token';

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

/** A path of this site to go to after logging in; anything else (another host, a URL) goes to the overview. Resolved
 * as the browser will resolve it (it drops tabs and line breaks: "/\t/evil" is "//evil"), not judged by its prefix. */
export function localPath(next) {
  if (typeof next !== 'string' || !next.startsWith('/')) {
    return '/';
  }
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.pathname + url.search + url.hash : '/';
}

/** The text of an API answer that is not a success: its ProblemDetails detail, else its status. */
function problemText(status, text) {
  try {
    const problem = JSON.parse(text);
    if (problem.detail || problem.title) {
      return problem.detail || problem.title;
    }
  } catch {
    // Not JSON: fall through to the status.
  }
  return `The platform answered ${status}.`;
}

/** Writes the page's notice line (a polite live region, always in the page and hidden by CSS while empty, so screen
 * readers announce what is written into it; emptied first so the same text twice is announced twice). */
function say(text, kind) {
  const notice = document.getElementById('notice');
  if (!notice) {
    return;
  }
  notice.textContent = '';
  notice.classList.toggle('error', kind === 'error' || kind === 'refresh');
  notice.dataset.kind = kind ?? '';
  if (text) {
    requestAnimationFrame(() => { notice.textContent = text; });
  }
}

/** Clears a "could not be refreshed" notice once a refresh works again (an action's answer stays). */
function refreshed() {
  const notice = document.getElementById('notice');
  if (notice?.dataset.kind === 'refresh') {
    say('');
  }
}

/** Why an NDJSON answer of a long operation failed ({"error"}, or no {"result"} at all: cut short), or undefined. */
export function streamFailure(text) {
  const lines = text.split('\n').filter((line) => line.trim()).map((line) => {
    try { return JSON.parse(line); } catch { return {}; }
  });
  const failed = lines.find((line) => line.error);
  if (failed) {
    return failed.error;
  }
  return lines.some((line) => 'result' in line) ? undefined : 'The answer ended before the outcome; check the page again to see what was done.';
}

function toLogin() {
  location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
}

function setUpLogin(form) {
  const error = document.getElementById('login-error');
  const secondFactor = document.getElementById('second-factor');
  const code = document.getElementById('code');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    error.hidden = true;
    try {
      const body = {
        name: form.elements.name.value.trim(),
        password: form.elements.password.value,
        code: secondFactor.hidden ? null : code.value.trim() || null,
        kind: 'browser',
      };
      const response = await fetch('/v1/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
      if (response.ok) {
        location.assign(localPath(form.dataset.next));
        return;
      }
      const text = await response.text();
      const problem = (() => { try { return JSON.parse(text); } catch { return {}; } })();
      if (problem.title === 'Second factor needed' && secondFactor.hidden) {
        secondFactor.hidden = false;
        code.required = true;
        code.focus();
      }
      error.textContent = problemText(response.status, text);
      error.hidden = false;
    } catch {
      error.textContent = 'The platform did not answer. Check that it runs, then try again.';
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}

function setUpLogout(button) {
  button.addEventListener('click', async () => {
    await fetch('/v1/logout', { method: 'POST', headers: { [csrfHeader]: csrf() }, credentials: 'same-origin' }).catch(() => {});
    location.assign('/login');
  });
}

function refuseEval() {
  throw new Error('The dashboard runs no code from attributes (hx-on, js: values): see Dashboard/README.md.');
}

/** The elements htmx disabled for a request under way (hx-disable): a refresh meanwhile must not enable them. */
const busy = new WeakSet();

function isApi(action) {
  return new URL(action, location.href).pathname.startsWith('/v1/');
}

if (window.htmx) {
  window.htmx.registerExtension('slipway', {
    init(api) {
      // htmx 4 has no allowEval setting any more: its code constructors are replaced by ones that refuse.
      api.initSecurity(null, refuseEval, refuseEval);
    },
    htmx_config_request(elt, detail) {
      // A long operation answering as it goes (?progress=1: a backup, a restore) may take longer than htmx's default
      // minute; aborting it would cancel it on the platform. Its keep-alives show the platform is still at it.
      const { ctx } = detail;
      if (new URL(ctx.request.action, location.href).searchParams.get('progress') === '1') {
        ctx.request.timeout = 0;
      }
    },
    htmx_before_request(elt, detail) {
      const { ctx } = detail;
      (ctx.disabledElements ?? []).forEach((element) => busy.add(element));
      const request = ctx.request;
      if (request.method === 'GET') {
        return;
      }
      request.headers[csrfHeader] = csrf();
      if (!isApi(request.action)) {
        return;
      }
      request.headers.Accept = 'application/json';
      if (request.method === 'DELETE') {
        // htmx puts a DELETE's values into its query string (where our DELETE endpoints read them): no body.
        request.body = null;
        return;
      }
      request.headers['Content-Type'] = 'application/json';
      // data-json: the body verbatim. Otherwise the element's values (a form's fields, as strings) with hx-vals over
      // them as written (htmx keeps them parsed in ctx.vals: numbers, booleans, lists and objects keep their types).
      request.body = elt.dataset.json
        ?? JSON.stringify({ ...Object.fromEntries(request.body ?? []), ...(ctx.vals ?? {}) });
    },
    htmx_after_request(elt, detail) {
      const { ctx } = detail;
      const status = ctx.response.status;
      if (status === 401) {
        toLogin();
        return false;
      }
      if (ctx.request.method === 'GET') {
        if (status === 403 || status === 404) {
          // The thing went away or the caller's grant did (another tab, an owner): the whole page says which, and
          // stops refreshing, instead of asking again every few seconds.
          location.reload();
          return false;
        }
        if (status >= 400) {
          say(`This part of the page could not be refreshed: ${problemText(status, ctx.text)}`, 'refresh');
          return false;
        }
        refreshed();
        return;
      }
      // A long operation's answer (?progress=1) is NDJSON: its steps, then {"result"} or {"error"}.
      const failed = (ctx.response.headers.get('Content-Type') ?? '').startsWith('application/x-ndjson')
        ? streamFailure(ctx.text)
        : undefined;
      if (status >= 400) {
        say(problemText(status, ctx.text), 'error');
      } else if (failed) {
        say(failed, 'error');
      } else {
        say(elt.dataset.done ?? 'Done.');
        window.htmx.trigger(document.body, 'slipway:changed');
      }
    },
    htmx_finally_request(elt, detail) {
      (detail.ctx?.disabledElements ?? []).forEach((element) => busy.delete(element));
    },
    htmx_before_morph_attr(elt, detail) {
      if (detail.attrName === 'disabled' && busy.has(elt)) {
        return false;
      }
      // Whether a <details> or <dialog> is open is the user's choice, not the server's: a refresh keeps it.
      if (detail.attrName === 'open' && (elt instanceof HTMLDetailsElement || elt instanceof HTMLDialogElement)) {
        return false;
      }
      return undefined;
    },
    htmx_error(elt, detail) {
      // No answer at all (the platform restarting, the network gone, a timeout): say so for an action; a refresh
      // says so too and tries again at its next tick.
      if (detail.ctx?.request?.method && detail.ctx.request.method !== 'GET') {
        say('The platform did not answer, so nothing was done. Check that it runs, then try again.', 'error');
      } else if (detail.ctx) {
        say('This part of the page could not be refreshed: the platform did not answer.', 'refresh');
      }
    },
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const login = document.getElementById('login');
  if (login) {
    setUpLogin(login);
  }
  const logout = document.getElementById('logout');
  if (logout) {
    setUpLogout(logout);
  }
});
