'use strict';

// Slipway fullstack example: the API service.
// Slipway routes every request whose path starts with /api to this service and
// forwards the full path, so all routes live under /api.
//
// Environment: HOST, PORT (set by Slipway), DATA_DIR (default ./data).

const path = require('node:path');
const express = require('express');
const { createStore } = require('./store');

const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT) || 3000;
const DATA_DIR = path.resolve(process.env.DATA_DIR || path.join(__dirname, 'data'));

const store = createStore(DATA_DIR);
const app = express();
app.disable('x-powered-by');

// One log line per request: method path status ms.
app.use((req, res, next) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  next();
});

const api = express.Router();
api.use(express.json({ limit: '16kb' }));

api.get('/health', (req, res) => {
  res.json({ status: 'ok' });
});

api.get('/messages', async (req, res, next) => {
  try {
    res.json({ messages: await store.list() });
  } catch (err) {
    next(err);
  }
});

api.post('/messages', async (req, res, next) => {
  const text = typeof req.body?.text === 'string' ? req.body.text.trim() : '';
  const author = typeof req.body?.author === 'string' && req.body.author.trim() ? req.body.author.trim() : 'anonymous';
  if (!text) return res.status(400).json({ error: 'text is required' });
  if (text.length > 500 || author.length > 50) return res.status(400).json({ error: 'text or author too long' });
  try {
    res.status(201).json({ message: await store.add({ author, text }) });
  } catch (err) {
    next(err);
  }
});

app.use('/api', api);

app.use((req, res) => {
  res.status(404).json({ error: 'not found' });
});

app.use((err, req, res, _next) => {
  const status = err.status || err.statusCode || 500;
  if (status >= 500) console.error(err);
  res.status(status).json({ error: status >= 500 ? 'internal error' : err.message });
});

const server = app.listen(PORT, HOST, () => {
  console.log(`api listening on http://${HOST}:${PORT}, data in ${store.file}`);
});

// Graceful shutdown: stop accepting, let in-flight requests finish, exit 0.
function shutdown(signal) {
  console.log(`api: ${signal} received, draining connections`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 8_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
