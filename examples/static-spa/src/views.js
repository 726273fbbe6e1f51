// Each view is a function from route params to an HTML string.

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const home = () => `
  <h1>Home</h1>
  <p>This page is plain HTML, CSS and JavaScript, built by Vite into <code>dist/</code>
  with fingerprinted asset names and served by Slipway's router.</p>
  <p>Try reloading on <a href="/users/42" data-link>/users/42</a>: the router falls back
  to <code>index.html</code> and the client renders the route.</p>`;

const about = () => `
  <h1>About</h1>
  <p>Routes: <code>/</code>, <code>/about</code>, <code>/users/:id</code>.
  Anything else shows a client-side "not found" view.</p>
  <p>Built in <code>${escape(import.meta.env.MODE)}</code> mode.</p>`;

const user = ({ id }) => `
  <h1>User ${escape(id)}</h1>
  <p>The id comes from the URL, parsed in the browser.</p>
  <p><a href="/users/${Number(id) + 1}" data-link>Next user →</a></p>`;

export const notFound = () => `
  <h1>Not found</h1>
  <p>No client route matches <code>${escape(location.pathname)}</code>.
  <a href="/" data-link>Go home</a>.</p>`;

export const routes = [
  { pattern: /^\/$/, view: home },
  { pattern: /^\/about\/?$/, view: about },
  { pattern: /^\/users\/(?<id>\d+)\/?$/, view: user },
];
