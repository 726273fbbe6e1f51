// A tiny History API router: no framework, just pushState + popstate.
// Slipway serves index.html for any unknown path (spa: true), so deep links
// like /users/42 load this script, which then renders the matching view.
import './style.css';
import { routes, notFound } from './views.js';

const app = document.querySelector('#app');

function match(pathname) {
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (m) return { view: route.view, params: m.groups ?? {} };
  }
  return { view: notFound, params: {} };
}

function render() {
  const { view, params } = match(location.pathname);
  app.innerHTML = view(params);
  document.title = `${app.querySelector('h1')?.textContent ?? 'static-spa'} · static-spa`;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// Intercept clicks on in-app links; let the browser handle everything else.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  if (link.getAttribute('href') !== location.pathname) {
    history.pushState(null, '', link.getAttribute('href'));
    render();
  }
});

window.addEventListener('popstate', render);
render();
