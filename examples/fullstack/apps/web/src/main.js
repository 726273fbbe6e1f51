// Two client-side routes (History API): "/" (the message board) and "/about".
// The static service has spa: true, so reloading /about still gets index.html.
import './style.css';
import { listMessages, postMessage } from './api.js';

const app = document.querySelector('#app');

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

async function board() {
  app.innerHTML = `
    <h1>Board</h1>
    <form id="new-message">
      <input name="author" placeholder="Your name" maxlength="50" />
      <input name="text" placeholder="Say something" maxlength="500" required />
      <button>Post</button>
    </form>
    <p id="status" role="status">Loading…</p>
    <ul id="messages"></ul>`;

  const status = app.querySelector('#status');
  const list = app.querySelector('#messages');

  async function refresh() {
    try {
      const messages = await listMessages();
      list.innerHTML = messages
        .map((m) => `<li><strong>${escape(m.author)}</strong> ${escape(m.text)} <time>${escape(new Date(m.createdAt).toLocaleString())}</time></li>`)
        .join('');
      status.textContent = `${messages.length} message(s)`;
    } catch (err) {
      status.textContent = `Could not load messages: ${err.message}`;
    }
  }

  app.querySelector('#new-message').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { author, text } = event.target.elements;
    try {
      await postMessage(author.value, text.value);
      text.value = '';
      await refresh();
    } catch (err) {
      status.textContent = `Could not post: ${err.message}`;
    }
  });

  await refresh();
}

function about() {
  app.innerHTML = `
    <h1>About</h1>
    <p>Three Slipway services from one repository:</p>
    <ul>
      <li><code>web</code>: this static page, built by Vite and served at <code>/</code></li>
      <li><code>api</code>: an Express app answering under <code>/api</code></li>
      <li><code>worker</code>: a background process with no port</li>
    </ul>`;
}

function notFound() {
  app.innerHTML = `<h1>Not found</h1><p><a href="/" data-link>Back to the board</a></p>`;
}

const routes = { '/': board, '/about': about };

function render() {
  (routes[location.pathname] ?? notFound)();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

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
