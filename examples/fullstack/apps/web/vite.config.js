import { defineConfig } from 'vite';

// In production Slipway's router sends /api/* to the api service and everything
// else to this static build, all on one hostname. For `npm run dev`, the Vite
// dev server proxies /api to a locally running api (API_URL, default :3000).
export default defineConfig({
  server: {
    proxy: {
      '/api': process.env.API_URL || 'http://127.0.0.1:3000',
    },
  },
});
