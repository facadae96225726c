// electron-builder.yml checked without building: electron-builder's own schema validation, and the settings the
// security review requires (fuses, asar with the addon unpacked, targets per OS, file associations).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What we read of the configuration; electron-builder's own types are far wider. */
interface BuilderConfig {
  appId?: string;
  asar?: unknown;
  asarUnpack?: string[];
  /** getConfig normalises the list to one `{ filter }` entry. */
  files?: (string | { filter?: string[] })[];
  electronFuses?: Record<string, boolean>;
  fileAssociations?: { ext: string; name?: string; mimeType?: string }[];
  linux?: { target?: unknown[] };
  win?: { target?: unknown[] };
  mac?: { target?: unknown[] };
  directories?: { buildResources?: string };
}

async function loadConfig(): Promise<BuilderConfig> {
  return (await getConfig(root, join(root, 'electron-builder.yml'), null)) as BuilderConfig;
}

describe('electron-builder configuration', () => {
  it('passes electron-builder’s own validation', async () => {
    const config = await loadConfig();
    await expect(validateConfiguration(config as never, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('is rejected by the same validation when a key is wrong (the check is real)', async () => {
    const config = await loadConfig();
    await expect(validateConfiguration({ ...config, electronFuses: { runAsNodee: false } } as never, new DebugLogger(false))).rejects.toThrow(/configuration\.electronFuses/);
  });

  it('sets the fuses: no RunAsNode, NODE_OPTIONS or --inspect; asar integrity, asar only, no file: privileges', async () => {
    const { electronFuses } = await loadConfig();
    expect(electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs into an asar with the native addon unpacked, and ships the bundles and samples', async () => {
    const config = await loadConfig();
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('native/build/Release/*.node');
    const patterns = (config.files ?? []).flatMap((entry) => (typeof entry === 'string' ? [entry] : (entry.filter ?? [])));
    for (const pattern of ['dist/main/**', 'dist/renderer/**', 'native/build/Release/netwright_native.node', 'samples/**', 'package.json']) {
      expect(patterns).toContain(pattern);
    }
  });

  it('builds AppImage + deb, NSIS and dmg, associates .nwproj files and has an icon', async () => {
    const config = await loadConfig();
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.fileAssociations).toEqual([expect.objectContaining({ ext: 'nwproj', mimeType: 'application/x-netwright-project' })]);
    expect(existsSync(join(root, config.directories?.buildResources ?? 'build', 'icon.png'))).toBe(true);
  });

  it('the release workflow builds each OS on tags with this configuration', () => {
    const workflow = readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8');
    expect(workflow).toMatch(/tags:\s*\n\s*- 'v\*'/);
    for (const os of ['ubuntu-', 'windows-', 'macos-']) expect(workflow).toContain(os);
    expect(workflow).toContain('npx electron-builder --config electron-builder.yml');
    expect(workflow).toContain('npm run build:js');
  });
});
