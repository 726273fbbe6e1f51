// The Config tab (ConfigContent.razor).
//  - Edit: the form's controls appear; "Review changes" computes the change (configChange, below: pure, and tested by
//    ConfigChangeTests through node) and lists it by name (a secret's value never, only that it changes); "Save and
//    release" POSTs it to the JSON API (/v1/apps/APP/config), whose answer names the release it started.
//  - Reveal: the password again, POSTed to /v1/apps/APP/config/reveal; the values answered replace the masks as text.

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Line endings as a textarea gives them back, so an untouched multi-line value is no change. */
function same(a, b) {
  const norm = (s) => String(s ?? '').replace(/\r\n?/g, '\n');
  return norm(a) === norm(b);
}

/**
 * What an edit of the form changes, as the JSON API's body and as the rows the review lists.
 * @param {{name: string, secret: boolean, shared?: boolean, original?: string|null}[]} current the saved variables
 *   (a secret's original is unknown: any value typed for it is a new one)
 * @param {Record<string, {value: string, remove: boolean}>} edits what the form holds for each editable variable
 * @param {{name: string, value: string, secret: boolean}[]} added the new rows
 * @returns {{body: {set: Record<string,string>, unset: string[], secret: boolean, secrets: string[], deploy: boolean},
 *   rows: {name: string, change: 'added'|'changed'|'removed', secret: boolean, before?: string, after?: string}[],
 *   problems: string[]}}
 */
export function configChange(current, edits, added) {
  const set = {};
  const unset = [];
  const secrets = [];
  const rows = [];
  const problems = [];
  const kept = new Set();
  for (const v of current) {
    const edit = edits[v.name];
    if (v.shared || !edit) {
      kept.add(v.name);
      continue;
    }
    if (edit.remove) {
      unset.push(v.name);
      rows.push({ name: v.name, change: 'removed', secret: v.secret, ...(v.secret ? {} : { before: v.original ?? '' }) });
      continue;
    }
    kept.add(v.name);
    if (v.secret) {
      if (edit.value !== '') {
        set[v.name] = edit.value;
        secrets.push(v.name);
        rows.push({ name: v.name, change: 'changed', secret: true });
      }
    } else if (!same(edit.value, v.original)) {
      set[v.name] = edit.value;
      rows.push({ name: v.name, change: 'changed', secret: false, before: v.original ?? '', after: edit.value });
    }
  }
  const shared = new Set(current.filter((v) => v.shared).map((v) => v.name));
  const seen = new Set();
  for (const row of added) {
    const name = row.name.trim();
    if (name === '' && row.value === '') {
      continue;
    }
    if (name === '') {
      problems.push('A new variable has a value but no name: give it one, or empty its value.');
      continue;
    }
    if (!namePattern.test(name)) {
      problems.push(`'${name}' is not a valid variable name: use letters, digits and _, not starting with a digit (like DATABASE_URL).`);
      continue;
    }
    if (seen.has(name)) {
      problems.push(`${name} is added twice: keep one of them.`);
      continue;
    }
    seen.add(name);
    if (kept.has(name) && !shared.has(name)) {
      problems.push(`${name} exists already: change its value above instead.`);
      continue;
    }
    set[name] = row.value;
    if (row.secret) {
      secrets.push(name);
    }
    rows.push({ name, change: 'added', secret: row.secret, ...(row.secret ? {} : { after: row.value }) });
  }
  rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { body: { set, unset, secret: false, secrets, deploy: true }, rows, problems };
}

/** One review line's words: "+ NAME = value", "~ NAME: old → new", "- NAME"; a secret's only that it changes. */
export function describe(row) {
  const one = (s) => (s.length > 80 || s.includes('\n') ? s.replace(/\r?\n/g, '⏎').slice(0, 80) + '…' : s);
  if (row.secret) {
    return `${row.change === 'added' ? '+' : row.change === 'removed' ? '-' : '~'} ${row.name} (secret): ${row.change === 'changed' ? 'value changed' : row.change}`;
  }
  switch (row.change) {
    case 'added':
      return `+ ${row.name} = ${one(row.after)}`;
    case 'removed':
      return `- ${row.name} (was ${one(row.before)})`;
    default:
      return `~ ${row.name}: ${one(row.before)} → ${one(row.after)}`;
  }
}

function csrf() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf() },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 401) {
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
    return null;
  }
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { ok: response.ok, status: response.status, json, problem: json?.detail || json?.title || `The platform answered ${response.status}.` };
}

function notice(parts, kind) {
  const box = document.getElementById('notice');
  box.replaceChildren(...parts.map((p) => (typeof p === 'string' ? document.createTextNode(p) : p)));
  box.classList.toggle('error', kind === 'error');
  box.hidden = parts.length === 0;
}

function setUp(root) {
  const form = document.getElementById('config-form');
  const edit = document.getElementById('config-edit');
  const panel = document.getElementById('config-review-panel');
  const problems = document.getElementById('config-problems');
  let change = null;

  const showEditing = (on) => {
    for (const part of root.querySelectorAll('.edit')) {
      part.hidden = !on;
    }
    if (!on) {
      problems.hidden = true;
    }
    if (edit) {
      edit.hidden = on;
    }
  };

  function addRow() {
    const row = document.getElementById('new-var').content.firstElementChild.cloneNode(true);
    document.getElementById('new-vars').append(row);
    row.querySelector('input[name="new-name"]').focus();
  }

  function read() {
    const current = [...root.querySelectorAll('li.var[data-name]')].map((li) => {
      const box = li.querySelector('textarea');
      return { name: li.dataset.name, secret: li.dataset.secret === 'true', shared: !box, original: box?.dataset.original ?? null };
    });
    const edits = {};
    for (const box of form.querySelectorAll('li.var textarea')) {
      edits[box.name] = { value: box.value, remove: form.querySelector(`input[data-remove="${box.name}"]`).checked };
    }
    const added = [...root.querySelectorAll('.new-var')].map((row) => ({
      name: row.querySelector('[name="new-name"]').value,
      value: row.querySelector('[name="new-value"]').value,
      secret: row.querySelector('[name="new-secret"]').checked,
    }));
    return configChange(current, edits, added);
  }

  edit?.addEventListener('click', () => {
    showEditing(true);
    panel.hidden = true;
    if (!root.querySelector('.new-var') && !root.querySelector('li.var textarea')) {
      addRow();
    } else {
      root.querySelector('li.var textarea, .new-var input')?.focus();
    }
  });
  document.getElementById('config-add-row')?.addEventListener('click', addRow);
  document.getElementById('config-cancel')?.addEventListener('click', () => {
    form.reset(); // every field back to the saved value it was rendered with
    document.getElementById('new-vars').replaceChildren();
    problems.hidden = true;
    showEditing(false);
    edit.focus();
  });

  form?.addEventListener('submit', (event) => {
    event.preventDefault();
    change = read();
    problems.hidden = change.problems.length === 0;
    problems.textContent = change.problems.join(' ');
    if (change.problems.length > 0) {
      return;
    }
    const list = document.getElementById('config-diff');
    list.replaceChildren(...change.rows.map((row) => {
      const li = document.createElement('li');
      li.className = row.change;
      li.textContent = describe(row);
      return li;
    }));
    if (change.rows.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'Nothing changes: edit a value, remove a variable or add one first.';
      list.append(li);
    }
    document.getElementById('config-save').disabled = change.rows.length === 0;
    showEditing(false);
    if (edit) {
      edit.hidden = true;
    }
    panel.hidden = false;
    document.getElementById('review-title').focus();
  });

  document.getElementById('config-back')?.addEventListener('click', () => {
    panel.hidden = true;
    showEditing(true);
    document.getElementById('config-review').focus();
  });

  document.getElementById('config-save')?.addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const answer = await post(root.dataset.save, change.body);
      if (!answer) {
        return;
      }
      if (!answer.ok) {
        notice([answer.problem], 'error');
        return;
      }
      const release = answer.json?.deployment;
      if (release) {
        const link = document.createElement('a');
        link.href = `${root.dataset.deployments}#deployment-${release.id}`;
        link.textContent = `release #${release.number}`;
        notice(['Saved. The live build is released again with the new config: ', link, '.']);
      } else {
        notice([answer.json?.changed === false ? 'Nothing changed.' : 'Saved; the next deploy uses it (nothing is live yet).']);
      }
      hide();
      window.htmx?.trigger(document.body, 'slipway:changed');
    } catch {
      notice(['The platform did not answer. Check that it runs, then try again.'], 'error');
    } finally {
      button.disabled = false;
    }
  });

  const reveal = document.getElementById('config-reveal');
  const revealForm = document.getElementById('reveal-form');
  const revealError = document.getElementById('reveal-error');
  let revealed = false;
  const hide = () => {
    for (const value of root.querySelectorAll('code.revealed')) {
      value.textContent = value.dataset.mask;
      value.classList.remove('revealed');
    }
    revealed = false;
    if (reveal) {
      reveal.textContent = 'Reveal secrets';
    }
  };
  reveal?.addEventListener('click', () => {
    if (revealed) {
      hide();
      return;
    }
    revealForm.hidden = !revealForm.hidden;
    reveal.setAttribute('aria-expanded', String(!revealForm.hidden));
    if (!revealForm.hidden) {
      document.getElementById('reveal-password').focus();
    }
  });
  document.getElementById('reveal-cancel')?.addEventListener('click', () => {
    revealForm.hidden = true;
    reveal.setAttribute('aria-expanded', 'false');
    reveal.focus();
  });
  revealForm?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const password = document.getElementById('reveal-password');
    const submit = document.getElementById('reveal-submit');
    submit.disabled = true;
    revealError.hidden = true;
    try {
      const answer = await post(root.dataset.reveal, { password: password.value });
      if (!answer) {
        return;
      }
      if (!answer.ok) {
        revealError.textContent = answer.problem;
        revealError.hidden = false;
        password.select();
        return;
      }
      for (const v of answer.json) {
        const value = root.querySelector(`code[data-value-of="${v.name}"]`);
        if (value) {
          value.dataset.mask ??= value.textContent;
          value.textContent = v.value;
          value.classList.add('revealed');
        }
      }
      password.value = '';
      revealForm.hidden = true;
      revealed = true;
      reveal.textContent = 'Hide secrets';
      reveal.setAttribute('aria-expanded', 'false');
      reveal.focus();
    } catch {
      revealError.textContent = 'The platform did not answer. Check that it runs, then try again.';
      revealError.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
}

if (typeof document !== 'undefined') {
  document.addEventListener('DOMContentLoaded', () => {
    const root = document.getElementById('config');
    if (root) {
      setUp(root);
    }
  });
  // After a save htmx morphs #config with the saved config: elements with an id are kept, so the listeners stay.
}
