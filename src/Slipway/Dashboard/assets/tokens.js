// The Team page's new token (TeamContent.razor, #token-form; loaded after json-form.js, which sends the form). The
// secret of a token is in POST /v1/tokens's answer only ({"token": "slp_…"}), once: nothing shows it again.
//
//   answer ──► #new-token-secret's value (a property: never in the HTML), focused and selected; #new-token-status (a live
//              region) says "Copy it now: it is not shown again."; #new-token gets hx-morph-skip
//   the refresh that follows (the list with the token and its hint) ──► morphs around #new-token, which stays
//   any later refresh ──► #new-token emptied here (a morph leaves a field's value it did not render in place)
//   leaving the page ──► emptied too (the back button may bring a page back from the browser's cache as it was)
//
// Nothing here logs the secret, builds code or writes a style attribute: the page's CSP allows neither.

const line = 'Copy it now: it is not shown again.';

/** The order in which refreshes of the Team content were sent (a refresh's ctx → its number). */
const refreshes = new WeakMap();
let sent = 0;

/** The POST of the form (its ctx) → how many refreshes had been sent before it was. */
const asked = new WeakMap();

/** The last refresh the shown secret stays through: the first one sent after the form (the one listing the token). */
let keepThrough = -1;

function isRefresh(ctx) {
  return ctx?.sourceElement?.id === 'team' && ctx.request?.method === 'GET';
}

function isTokenForm(ctx) {
  return ctx?.sourceElement instanceof HTMLFormElement && ctx.sourceElement.id === 'token-form';
}

function status(text) {
  const element = document.getElementById('new-token-status');
  if (element) {
    element.textContent = text;
  }
}

function show(name, secret) {
  const area = document.getElementById('new-token');
  const field = document.getElementById('new-token-secret');
  if (!area || !field) {
    return;
  }
  area.setAttribute('hx-morph-skip', '');
  document.getElementById('new-token-name').textContent = name;
  field.value = secret;
  document.getElementById('new-token-box').hidden = false;
  status('');
  requestAnimationFrame(() => status(line));
  field.focus();
  field.select();
}

function wipe() {
  const area = document.getElementById('new-token');
  const field = document.getElementById('new-token-secret');
  if (!area || !field || (!area.hasAttribute('hx-morph-skip') && field.value === '')) {
    return;
  }
  field.value = '';
  document.getElementById('new-token-name').textContent = '';
  document.getElementById('new-token-box').hidden = true;
  status('');
  area.removeAttribute('hx-morph-skip');
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

document.addEventListener('htmx:before:request', (event) => {
  const ctx = event.detail?.ctx;
  if (isRefresh(ctx)) {
    refreshes.set(ctx, ++sent);
  } else if (isTokenForm(ctx)) {
    asked.set(ctx, sent);
  }
});

document.addEventListener('htmx:after:request', (event) => {
  const ctx = event.detail?.ctx;
  if (!isTokenForm(ctx) || !ctx.response || ctx.response.status >= 400) {
    return;
  }
  let answer;
  try {
    answer = JSON.parse(ctx.text);
  } catch {
    return;
  }
  if (typeof answer?.token === 'string') {
    keepThrough = (asked.get(ctx) ?? sent) + 1;
    show(String(answer.name ?? ''), answer.token);
  }
});

document.addEventListener('htmx:after:swap', (event) => {
  const number = refreshes.get(event.detail?.ctx);
  if (number !== undefined && number > keepThrough) {
    wipe();
  }
});

document.addEventListener('click', (event) => {
  if (event.target instanceof Element && event.target.closest('#new-token-copy')) {
    copy();
  }
});

window.addEventListener('pagehide', wipe);
