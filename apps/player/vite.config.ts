import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The pages: web/ → dist/web (served by dist/main.js): the player (index.html) and the
// analytics page (dashboard.html, served at /dashboard).
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./web/index.html', import.meta.url)),
        dashboard: fileURLToPath(new URL('./web/dashboard.html', import.meta.url)),
      },
    },
  },
});
