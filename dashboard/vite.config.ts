import { defineConfig } from 'vite';

// Served by the API under /dashboard/ (src/api/routes/dashboard.ts); built to dashboard/dist.
export default defineConfig({
  root: import.meta.dirname,
  base: '/dashboard/',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 200 },
});
