// The Databases page's own script (Dashboard/README.md, step 4), loaded as a module after dashboard.js.
// A branch is asked of the environment that receives the copy: POST /v1/apps/APP/databases/NAME/branch?env=TARGET
// {"from": SOURCE}. The target is typed into the form, so before htmx sends it, this moves that field (the form's
// data-env-field) out of the body and into the path's ?env=, and names it in the confirmation.

document.addEventListener('htmx:config:request', (event) => {
  const form = event.target;
  const field = form instanceof HTMLFormElement ? form.dataset.envField : undefined;
  if (!field) {
    return;
  }
  const { ctx } = event.detail;
  const env = String(ctx.request.body.get(field) ?? '');
  ctx.request.body.delete(field);
  const url = new URL(ctx.request.action, location.href);
  url.searchParams.set('env', env);
  ctx.request.action = url.pathname + url.search;
  if (ctx.confirm) {
    ctx.confirm = ctx.confirm.replace('the environment you named', `environment ${env}`);
  }
});
