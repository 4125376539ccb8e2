import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is built into <repo>/dist/web, which the platform serves with an SPA fallback.
// In dev (`npm run dev:web`) Vite serves it with hot reload and proxies the API to the platform.
const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env.SIMFLEET_API_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false },
      '/health': { target },
      '/openapi.json': { target },
    },
  },
});
