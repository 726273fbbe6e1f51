// The real @sentry/node, configured as a team would: it reads SENTRY_DSN, SENTRY_RELEASE and SENTRY_ENVIRONMENT,
// which Slipway gives every process of the app.
import * as Sentry from '@sentry/node';

Sentry.init({
  tracesSampleRate: 0,
  sendDefaultPii: true,
  beforeBreadcrumb: (crumb) => crumb,
});
