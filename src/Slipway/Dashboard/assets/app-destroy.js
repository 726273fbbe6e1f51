// The destroy dialog of an app environment's page (DestroySection.razor), for a caller who may destroy it:
//  - "Destroy…" opens the <dialog> and reads what would be deleted (GET data-plan: the API's destroy plan), shown as text;
//  - its Destroy button is enabled only while the plan is shown and the app's name (data-app) is typed exactly;
//  - Destroy posts to data-destroy (the JSON API's destroy, with the CSRF header), then goes to the overview; a refusal
//    (its ProblemDetails detail) is shown in the dialog and nothing changes.
// Escape or "Keep it" closes the dialog; the browser gives focus back to the button that opened it.

const dialog = document.getElementById('destroy-dialog');

const fates = {
  'backed-up-then-dropped': 'a final verified backup is taken, then it is dropped',
  dropped: 'dropped, without a backup',
  kept: 'kept, detached from the environment',
};

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

function toLogin() {
  location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
}

async function problemText(response) {
  const text = await response.text();
  try {
    const problem = JSON.parse(text);
    if (problem.detail || problem.title) {
      return problem.detail || problem.title;
    }
  } catch {
    // Not JSON: the status says it.
  }
  return `The platform answered ${response.status}.`;
}

/** Why the destroy's NDJSON answer (?progress=1) failed ({"error"}, or cut before its {"result"}), or undefined.
 * (As dashboard.js's: a module of its own, since importing that file again would run it twice.) */
function streamFailure(text) {
  const lines = text.split('\n').filter((line) => line.trim()).map((line) => {
    try { return JSON.parse(line); } catch { return {}; }
  });
  const failed = lines.find((line) => line.error);
  if (failed) {
    return failed.error;
  }
  return lines.some((line) => 'result' in line) ? undefined : 'The answer ended before the outcome; the destroy may have gone on. Check the overview.';
}

function element(tag, text) {
  const made = document.createElement(tag);
  made.textContent = text;
  return made;
}

function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** The plan as a list of what goes, text only. */
function showPlan(container, plan) {
  const list = document.createElement('ul');
  const add = (text) => list.append(element('li', text));
  add(`${count(plan.deployments, 'deployment', 'deployments')} with their logs, ${count(plan.builds, 'build', 'builds')}, its config and instances`);
  add(plan.hosts.length ? `its hostnames: ${plan.hosts.join(', ')}` : 'no hostnames');
  for (const db of plan.databases) {
    add(`database ${db.name} (${db.type}): ${fates[db.fate] ?? db.fate}`);
  }
  if (plan.databases.length === 0) {
    add('no databases');
  }
  container.replaceChildren(element('p', 'This deletes:'), list);
}

if (dialog) {
  const open = document.getElementById('destroy-open');
  const form = document.getElementById('destroy-form');
  const plan = document.getElementById('destroy-plan');
  const name = document.getElementById('destroy-name');
  const confirm = document.getElementById('destroy-confirm');
  const error = document.getElementById('destroy-error');
  let planShown = false;

  const update = () => {
    confirm.disabled = !(planShown && name.value === dialog.dataset.app);
  };
  const fail = (text) => {
    error.textContent = text;
    error.hidden = false;
  };

  open.addEventListener('click', async () => {
    planShown = false;
    name.value = '';
    name.disabled = false;
    error.hidden = true;
    update();
    plan.replaceChildren(element('p', 'Reading what would be deleted…'));
    dialog.showModal();
    name.focus();
    try {
      const response = await fetch(dialog.dataset.plan, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (response.status === 401) {
        toLogin();
        return;
      }
      if (!response.ok) {
        fail(await problemText(response));
        return;
      }
      showPlan(plan, await response.json());
      planShown = true;
      update();
    } catch {
      fail('The platform did not answer. Check that it runs, then try again.');
    }
  });
  name.addEventListener('input', update);
  document.getElementById('destroy-keep').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (name.value !== dialog.dataset.app) {
      return;
    }
    confirm.disabled = true;
    name.disabled = true;
    error.hidden = true;
    plan.replaceChildren(element('p', 'Destroying… (final backups of its databases may take a while)'));
    // The page's refreshing content goes while the app does (htmx stops polling a detached element): a refresh
    // landing after the destroy would only find it gone. It comes back if the destroy is refused.
    const content = document.getElementById('app');
    const mark = document.createComment('destroying');
    content?.replaceWith(mark);
    try {
      // ?progress=1: the answer streams its steps (and empty keep-alive lines), so the edge does not cut a destroy
      // whose final backups take longer than its idle limit; the outcome is the last line.
      const url = new URL(dialog.dataset.destroy, location.href);
      url.searchParams.set('progress', '1');
      const response = await fetch(url.pathname + url.search, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf() },
        body: JSON.stringify({ keepDatabases: false }),
        credentials: 'same-origin',
      });
      if (response.status === 401) {
        toLogin();
        return;
      }
      if (response.ok) {
        const failed = streamFailure(await response.text());
        if (!failed) {
          location.assign('/');
          return;
        }
        fail(failed);
      } else {
        fail(await problemText(response));
      }
    } catch {
      fail('The platform did not answer; the destroy may have gone on. Check the overview.');
    }
    if (content) {
      mark.replaceWith(content);
      window.htmx?.trigger(document.body, 'slipway:changed');
    }
    name.disabled = false;
    update();
  });
}
