'use strict';

// Slipway example: a small Express 4 API.
//
// Environment:
//   HOST, PORT      where to listen (set by Slipway for web services)
//   APP_VERSION     overrides the VERSION file
//   GREETING        message returned by GET /
//   FAIL_HEALTH=1   make GET /health return 500 (simulates a bad release)
//   CRASH_ON_START=1  exit 1 immediately (simulates a broken build)

const fs = require('node:fs');
const path = require('node:path');
const express = require('express');

if (process.env.CRASH_ON_START === '1') {
  console.error('node-api: CRASH_ON_START=1, exiting with status 1');
  process.exit(1);
}

// Read the version once, at start: each deployment is a fresh copy of the app.
function readVersion() {
  if (process.env.APP_VERSION) return process.env.APP_VERSION;
  try {
    return fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

const VERSION = readVersion();
const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT) || 3000;
const GREETING = process.env.GREETING || 'hello from node-api';
const FAIL_HEALTH = process.env.FAIL_HEALTH === '1';

const app = express();
app.disable('x-powered-by');

// One log line per request (method path status ms) and the version header on every response.
app.use((req, res, next) => {
  const started = process.hrtime.bigint();
  res.set('X-App-Version', VERSION);
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  next();
});

app.use(express.json());

app.get('/', (req, res) => {
  res.json({ app: 'node-api', version: VERSION, message: GREETING, pid: process.pid });
});

app.get('/health', (req, res) => {
  if (FAIL_HEALTH) return res.status(500).json({ status: 'failing', version: VERSION });
  res.json({ status: 'ok', version: VERSION });
});

// Answers after ?ms= milliseconds (max 30 s): handy for checking that a
// deployment or SIGTERM lets in-flight requests finish.
app.get('/slow', (req, res) => {
  const ms = Math.min(Math.max(Number(req.query.ms) || 1000, 0), 30_000);
  setTimeout(() => res.json({ version: VERSION, sleptMs: ms }), ms);
});

// A tiny in-memory collection, per instance (replicas do not share it).
const items = [
  { id: 1, name: 'anchor' },
  { id: 2, name: 'rope' },
];
let nextId = items.length + 1;

app.get('/api/items', (req, res) => {
  res.json({ version: VERSION, items });
});

app.get('/api/items/:id', (req, res) => {
  const item = items.find((i) => i.id === Number(req.params.id));
  if (!item) return res.status(404).json({ error: 'not found', version: VERSION });
  res.json({ version: VERSION, item });
});

app.post('/api/items', (req, res) => {
  const name = req.body && typeof req.body.name === 'string' ? req.body.name.trim() : '';
  if (!name) return res.status(400).json({ error: 'name is required', version: VERSION });
  const item = { id: nextId++, name };
  items.push(item);
  res.status(201).json({ version: VERSION, item });
});

app.use((req, res) => {
  res.status(404).json({ error: 'not found', version: VERSION });
});

// Errors thrown by handlers (or malformed JSON bodies) still get the JSON shape and version.
app.use((err, req, res, _next) => {
  const status = err.status || err.statusCode || 500;
  if (status >= 500) console.error(err);
  res.status(status).json({ error: status >= 500 ? 'internal error' : err.message, version: VERSION });
});

const server = app.listen(PORT, HOST, () => {
  console.log(`node-api v${VERSION} listening on http://${HOST}:${PORT} (pid ${process.pid})`);
});

// Graceful shutdown: stop accepting, let in-flight requests finish, exit 0.
function shutdown(signal) {
  console.log(`node-api: ${signal} received, draining connections`);
  server.close(() => {
    console.log('node-api: all connections closed, bye');
    process.exit(0);
  });
  server.closeIdleConnections(); // keep-alive sockets without a request in flight
  // Safety net in case a client holds a connection open forever.
  setTimeout(() => {
    console.error('node-api: drain timed out, forcing exit');
    process.exit(0);
  }, 10_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
