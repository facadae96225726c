// Locations inside the installed package (root, built bundles), found from this file rather than the cwd.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from `start` to the directory whose package.json is Netwright's. */
export function findPackageRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'netwright') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`E_INTERNAL: no Netwright package.json above ${start}`);
    dir = parent;
  }
}

export interface PackagePaths {
  root: string;
  /** The built renderer (index.html + assets). */
  rendererDir: string;
  /** The built trainer process entry. */
  trainerEntry: string;
  /** The trainer entry's TypeScript source (run with tsx in tests). */
  trainerSource: string;
  /** Where `npm run build:native` puts the addon. */
  nativeAddon: string;
}

export function packagePaths(root: string = findPackageRoot()): PackagePaths {
  return {
    root,
    rendererDir: join(root, 'dist', 'renderer'),
    trainerEntry: join(root, 'dist', 'main', 'trainer.mjs'),
    trainerSource: join(root, 'main', 'trainer', 'entry.ts'),
    nativeAddon: join(root, 'native', 'build', 'Release', 'netwright_native.node'),
  };
}

/** The package version from package.json. */
export function packageVersion(root: string = findPackageRoot()): string {
  const parsed: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') {
    return parsed.version;
  }
  return '0.0.0';
}
