// The Team page's new token (TeamContent.razor's #token-form, sent by json-form.js; TeamPage.razor's #new-token dialog).
// The secret of a token is in POST /v1/tokens's answer only ({"token": "slp_…"}), once: nothing shows it again.
//
//   answer ──► the dialog's name and field (properties: never HTML), shown modal, the field selected; its live line
//              says "Copy it now: it is not shown again."
//   Done, Escape (the dialog's close) or leaving the page (the back button may bring it back from the browser's cache)
//   ──► the field and the name emptied; focus back on the form's button
//
// The dialog is outside #team: the content's refreshes (this action's or any other's) never touch it.
// Nothing here logs the secret, builds code or writes a style attribute: the page's CSP allows neither.

const line = 'Copy it now: it is not shown again.';

function status(text) {
  const element = document.getElementById('new-token-status');
  if (element) {
    element.textContent = text;
  }
}

function show(name, secret) {
  const dialog = document.getElementById('new-token');
  const field = document.getElementById('new-token-secret');
  if (!(dialog instanceof HTMLDialogElement) || !field) {
    return;
  }
  document.getElementById('new-token-name').textContent = name;
  field.value = secret;
  status('');
  if (!dialog.open) {
    dialog.showModal();
  }
  requestAnimationFrame(() => status(line));
  field.focus();
  field.select();
}

function wipe() {
  const field = document.getElementById('new-token-secret');
  if (field) {
    field.value = '';
  }
  const name = document.getElementById('new-token-name');
  if (name) {
    name.textContent = '';
  }
  status('');
}

async function copy() {
  const field = document.getElementById('new-token-secret');
  if (!field?.value) {
    return;
  }
  try {
    await navigator.clipboard.writeText(field.value);
    status('Copied. It is not shown again.');
    return;
  } catch {
    // No clipboard API here (an address that is not secure) or no permission: the selection and the old command.
  }
  field.focus();
  field.select();
  status(document.execCommand('copy')
    ? 'Copied. It is not shown again.'
    : 'This browser did not let the page copy: the secret is selected, press Ctrl+C (⌘C on a Mac). It is not shown again.');
}

document.addEventListener('htmx:after:request', (event) => {
  const ctx = event.detail?.ctx;
  const form = ctx?.sourceElement;
  if (!(form instanceof HTMLFormElement) || form.id !== 'token-form' || !ctx.response || ctx.response.status >= 400) {
    return;
  }
  let answer;
  try {
    answer = JSON.parse(ctx.text);
  } catch {
    return;
  }
  if (typeof answer?.token === 'string') {
    show(String(answer.name ?? ''), answer.token);
  }
});

document.addEventListener('click', (event) => {
  if (!(event.target instanceof Element)) {
    return;
  }
  if (event.target.closest('#new-token-copy')) {
    copy();
  } else if (event.target.closest('#new-token-done')) {
    document.getElementById('new-token')?.close();
  }
});

// Escape closes the dialog too: either way the secret goes, and focus goes back where the token was asked for (the
// form's button, or the token list when the form is gone).
// (A dialog's close does not bubble: it is caught on its way down.)
document.addEventListener('close', (event) => {
  if (!(event.target instanceof Element) || event.target.id !== 'new-token') {
    return;
  }
  wipe();
  const back = document.getElementById('make-token') ?? document.getElementById('tokens-title');
  back?.focus();
}, true);

window.addEventListener('pagehide', () => {
  wipe();
  const dialog = document.getElementById('new-token');
  if (dialog instanceof HTMLDialogElement && dialog.open) {
    dialog.close();
  }
});
