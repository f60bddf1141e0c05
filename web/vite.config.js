// Vite builds the app into dist/ (served by tandemd at /); JSX compiles to Preact's runtime.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0, // no data: URLs for assets; everything a file under /assets/
    modulePreload: { polyfill: false }, // no inline polyfill: the CSP allows no inline script
    chunkSizeWarningLimit: 300,
  },
});
