import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/** Gateway the dev server forwards `/api` to (override with CCH_API_URL). */
const gateway = process.env.CCH_API_URL ?? 'http://localhost:23000';

export default defineConfig({
  // The gateway serves the built console at `/`, with assets under `/assets/`.
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
    },
  },
});
