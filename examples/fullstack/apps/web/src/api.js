// Calls to the api service. Same origin: the router maps /api to it.

async function request(path, options) {
  const res = await fetch(`/api${path}`, {
    headers: { 'content-type': 'application/json' },
    ...options,
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

export const listMessages = () => request('/messages').then((b) => b.messages);

export const postMessage = (author, text) =>
  request('/messages', { method: 'POST', body: JSON.stringify({ author, text }) }).then((b) => b.message);
