import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web UI's build: Preact through Vite's own JSX transform (oxc, automatic runtime with
 * preact's jsx-runtime), no plugin. Output in api/web/dist, served by api/web-static.ts:
 * files under assets/ carry a content hash in their name and are cached for a year;
 * index.html is revalidated on every visit.
 */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
});
