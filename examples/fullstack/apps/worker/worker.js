'use strict';

// Slipway fullstack example: a background worker. It gets no PORT and serves
// no traffic. Every TICK_MS (default 2000) it "processes" a small batch of
// simulated jobs and logs a heartbeat line.
//
// On SIGTERM it finishes the tick in progress (if any) and exits 0.

const { setTimeout: sleep } = require('node:timers/promises');

const TICK_MS = Number(process.env.TICK_MS) || 2000;

let processed = 0;
let stopping = false;
let wake = null; // resolves the sleep between ticks early on shutdown

async function processBatch() {
  const jobs = 1 + Math.floor(Math.random() * 3);
  for (let i = 0; i < jobs; i++) {
    await sleep(50); // stand-in for real work
    processed++;
  }
}

async function main() {
  console.log(`worker: started (pid ${process.pid}, tick ${TICK_MS}ms)`);
  while (!stopping) {
    await processBatch();
    console.log(`worker: processed ${processed} jobs`);
    if (stopping) break;
    const ac = new AbortController();
    wake = () => ac.abort();
    await sleep(TICK_MS, undefined, { signal: ac.signal }).catch(() => {});
    wake = null;
  }
  console.log(`worker: stopped after ${processed} jobs`);
}

function stop(signal) {
  if (stopping) return;
  console.log(`worker: ${signal} received, finishing current tick`);
  stopping = true;
  if (wake) wake();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

main().then(
  () => process.exit(0),
  (err) => {
    console.error('worker: fatal error', err);
    process.exit(1);
  },
);
