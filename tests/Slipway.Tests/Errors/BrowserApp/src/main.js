import * as Sentry from '@sentry/browser';
import { checkout } from './checkout.js';

// What Slipway's build gives a browser SDK with "errors": {"browser": true}.
Sentry.init({
  dsn: import.meta.env.VITE_SENTRY_DSN,
  tunnel: import.meta.env.VITE_SENTRY_TUNNEL,
  release: import.meta.env.VITE_SENTRY_RELEASE,
  environment: import.meta.env.VITE_SENTRY_ENVIRONMENT,
});

document.getElementById('buy').addEventListener('click', () => {
  document.getElementById('state').textContent = 'total: ' + checkout(window.cart);
});
document.getElementById('state').textContent = 'ready';
