import { defineConfig } from 'vite';

// Served by the API at /wait/:eventId, its assets under /wait/assets/ (src/api/routes/waiting-page.ts); built to waiting-page/dist.
export default defineConfig({
  root: import.meta.dirname,
  base: '/wait/',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsDir: 'assets', chunkSizeWarningLimit: 50 },
});
