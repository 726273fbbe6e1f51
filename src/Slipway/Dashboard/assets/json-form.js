// Forms whose fields go to the JSON API as a typed body (Dashboard/README.md, step 5; loaded by the pages that have
// them through Shell's PageAssets): a form[data-json-form] with hx-post sends its fields as one JSON object, set as its
// data-json just before htmx sends it, which dashboard.js then sends verbatim:
//  - a field with data-json-fields (and no name) holds a JSON object whose members go into the body, over the fields
//    of the same names (a select whose option stands for an app and one environment of it, as the Team page's scopes);
//  - an empty field is left out (the API's default: no app means the whole platform), a checkbox is true or false, a
//    field with data-list is a list of the names it holds (split at commas and spaces), a password is sent as typed;
//  - data-done-template is the notice shown after success, "{<name>}" standing for a field's value and "{ of <app>}"
//    for " of " and the value, or nothing when the field is empty;
//  - after a success the form is emptied (a password typed in it does not stay in the page).
// Nothing here builds code or writes a style attribute: the pages' CSP allows neither.

/** The JSON body of <paramref name="form"/>'s fields. */
export function bodyOf(form) {
  const body = {};
  const fixed = [];
  for (const field of form.elements) {
    if (field.dataset?.jsonFields !== undefined && !field.disabled && field.value) {
      fixed.push(JSON.parse(field.value));
    }
    if (!field.name || field.disabled) {
      continue;
    }
    if (field.type === 'checkbox') {
      body[field.name] = field.checked;
      continue;
    }
    const value = field.type === 'password' ? field.value : field.value.trim();
    if (value === '') {
      continue;
    }
    body[field.name] = field.dataset.list !== undefined ? value.split(/[\s,]+/).filter(Boolean) : value;
  }
  return Object.assign(body, ...fixed);
}

/** The notice of a template such as "Added {<name>} as {<role>}{ of <app>}." for <paramref name="body"/>. */
export function doneText(template, body) {
  return template.replace(/\{([^{}<]*)<([\w-]+)>([^{}]*)\}/g, (_, before, name, after) => {
    const value = body[name];
    if (value === undefined || value === false || value === '') {
      return '';
    }
    return before + (Array.isArray(value) ? value.join(', ') : String(value)) + after;
  });
}

document.addEventListener('htmx:config:request', (event) => {
  const form = event.detail?.ctx?.sourceElement;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-json-form')) {
    return;
  }
  const body = bodyOf(form);
  form.dataset.json = JSON.stringify(body);
  if (form.dataset.doneTemplate) {
    form.dataset.done = doneText(form.dataset.doneTemplate, body);
  }
});

document.addEventListener('htmx:after:request', (event) => {
  const ctx = event.detail?.ctx;
  const form = ctx?.sourceElement;
  if (form instanceof HTMLFormElement && form.hasAttribute('data-json-form') && ctx.response && ctx.response.status < 400) {
    form.reset();
  }
});
