import { defineConfig } from 'vite';

// Defaults already do what Slipway needs: output to dist/ with content-hashed
// file names under dist/assets/, which can be cached forever.
export default defineConfig({
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
  },
});
