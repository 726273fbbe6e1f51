'use strict';

// Slipway tests: an Express app whose /boom throws when BOOM is in its VERSION file (a release that breaks it) and
// answers 200 otherwise (a release that fixes it). Its errors reach Slipway through the real @sentry/node.
const fs = require('node:fs');
const path = require('node:path');
const Sentry = require('@sentry/node');
const express = require('express');

const VERSION = fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim();
const app = express();

app.get('/health', (req, res) => res.send('ok'));
app.get('/', (req, res) => res.send(VERSION));

function loadOrder(id) {
  const orders = {};
  if (!orders[id]) {
    // Each order's message differs (the SDK drops an event identical to the one before it): grouping by type and
    // frames makes them one issue.
    throw new TypeError(`Cannot read order ${id}: it does not exist`);
  }
  return orders[id].total;
}

app.get('/boom', (req, res) => {
  Sentry.setUser({ id: req.query.user || 'anonymous', email: 'buyer@example.com' });
  Sentry.setTag('checkout', 'v2');
  console.log(`checking out order ${req.query.order} with key ${process.env.PAYMENT_KEY}`);
  if (VERSION.includes('BOOM')) {
    res.json({ total: loadOrder(req.query.order) });
  } else {
    res.json({ total: 0 });
  }
});

Sentry.setupExpressErrorHandler(app);

app.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1', () => console.log(`sentry-app ${VERSION} listening`));
