// Vite build of the Node-side entries into dist/main: ESM (.mjs) for app, web, trainer and CLI; CJS for the
// preload, because Electron's sandboxed preloads cannot be ES modules. Node builtins, electron and npm deps stay external.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type EnvironmentOptions } from 'vite';

const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const manifest = JSON.parse(readFileSync(fromRoot('./package.json'), 'utf8')) as { dependencies: Record<string, string> };
const dependencies = Object.keys(manifest.dependencies);
const outDir = fromRoot('./dist/main');

/** Externals: node builtins (with and without `node:`), electron, and every runtime dependency. */
function isExternal(id: string): boolean {
  if (id.startsWith('node:') || builtinModules.includes(id) || id === 'electron') return true;
  return dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));
}

function nodeEnvironment(input: Record<string, string>, format: 'es' | 'cjs', emptyOutDir: boolean): EnvironmentOptions {
  return {
    consumer: 'server',
    build: {
      outDir,
      emptyOutDir,
      target: 'node20',
      ssr: true,
      sourcemap: true,
      minify: false,
      rollupOptions: {
        input,
        external: isExternal,
        output: {
          format,
          entryFileNames: format === 'es' ? '[name].mjs' : '[name].cjs',
          chunkFileNames: format === 'es' ? 'chunks/[name]-[hash].mjs' : 'chunks/[name]-[hash].cjs',
        },
      },
    },
  };
}

export default defineConfig({
  environments: {
    node: nodeEnvironment(
      {
        app: fromRoot('./main/app/main.ts'),
        web: fromRoot('./main/web/server.ts'),
        trainer: fromRoot('./main/trainer/entry.ts'),
        cli: fromRoot('./main/cli/cli.ts'),
      },
      'es',
      true,
    ),
    preload: nodeEnvironment({ preload: fromRoot('./main/preload/preload.ts') }, 'cjs', false),
  },
  builder: {
    async buildApp(builder) {
      const { node, preload } = builder.environments;
      if (node === undefined || preload === undefined) throw new Error('vite.node.config.ts: environments missing');
      await builder.build(node);
      await builder.build(preload);
    },
  },
});
