'use strict';

// A tiny message store: one JSON file in DATA_DIR (default ./data).
// Writes go to a temporary file that is then renamed over the real one, so a
// crash never leaves a half-written file. Writes are serialized in-process.

const fs = require('node:fs/promises');
const path = require('node:path');

const SEED = [
  { id: 1, author: 'slipway', text: 'Welcome! This message comes from the API.', createdAt: '2025-01-01T00:00:00.000Z' },
];

function createStore(dir) {
  const file = path.join(dir, 'messages.json');
  let queue = Promise.resolve(); // chain of pending writes

  async function readAll() {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8'));
    } catch (err) {
      if (err.code === 'ENOENT') return SEED;
      throw err;
    }
  }

  async function writeAll(messages) {
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(messages, null, 2) + '\n');
    await fs.rename(tmp, file);
  }

  function add({ author, text }) {
    const result = queue.then(async () => {
      const messages = await readAll();
      const id = messages.reduce((max, m) => Math.max(max, m.id), 0) + 1;
      const message = { id, author, text, createdAt: new Date().toISOString() };
      await writeAll([...messages, message]);
      return message;
    });
    queue = result.catch(() => {}); // a failed write must not block later ones
    return result;
  }

  return { file, list: readAll, add };
}

module.exports = { createStore };
