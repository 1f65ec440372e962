import { defineConfig } from 'vite';

// The renderer's production build: static files under dist/renderer, loaded by Electron from
// app://emt/ and by the Playwright bridge from http://127.0.0.1. No inline script or style is
// emitted, so the strict CSP (main/csp.ts) holds.
export default defineConfig({
  root: 'renderer',
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { host: '127.0.0.1', strictPort: true },
});
