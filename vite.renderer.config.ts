// Vite build of the renderer (renderer/ → dist/renderer); relative base so it loads from file:// and http alike.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // One local bundle (React, @xyflow/react, zod) loaded from disk or loopback; size warnings are noise here.
    chunkSizeWarningLimit: 1024,
  },
});
