'use strict';

// Release step: Slipway runs this once per deployment, before new instances start.
// A non-zero exit aborts the deployment and keeps the old version running.
// Here it only simulates database migrations.

const fs = require('node:fs');
const path = require('node:path');

const version =
  process.env.APP_VERSION ||
  (() => {
    try {
      return fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim();
    } catch {
      return 'unknown';
    }
  })();

if (process.env.FAIL_RELEASE === '1') {
  console.error(`release: migration for version ${version} failed (FAIL_RELEASE=1)`);
  process.exit(1);
}

console.log(`release: applying migrations for version ${version}`);
console.log('release: 0001_create_items ... already applied');
console.log('release: done');
