// `npm start`: runs the desktop app when the Electron binary is installed, else browser mode; stays up until Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

/** The Electron executable, or the reason there is none. */
function findElectron() {
  const electronDir = join(root, 'node_modules', 'electron');
  const pathFile = join(electronDir, 'path.txt');
  // NOTE: require('electron') tries to download a missing binary (and prints a stack trace offline), so look first.
  if (!process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    if (!existsSync(electronDir)) return { reason: 'Electron is not installed (node_modules/electron missing; run `npm ci`)' };
    const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
    if (relative === '' || !existsSync(join(electronDir, 'dist', relative))) {
      return { reason: 'Electron binary not installed (node_modules/electron/dist missing)' };
    }
  }
  try {
    // The electron package's main export is the path of its binary.
    const binary = require('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
    return { reason: `Electron binary not found at ${String(binary)}` };
  } catch (error) {
    return { reason: `Electron binary not usable (${error instanceof Error ? error.message : String(error)})` };
  }
}

function hasDisplay() {
  return process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
  child.on('error', (error) => {
    console.error(`Could not start ${command}: ${error.message}`);
    process.exit(1);
  });
}

const electron = findElectron();
if ('binary' in electron && process.env.NETWRIGHT_BROWSER_MODE !== '1') {
  console.log('Starting the Netwright desktop app (Electron).');
  run(electron.binary, [root]);
} else {
  const why = 'reason' in electron ? electron.reason : 'NETWRIGHT_BROWSER_MODE=1';
  console.log(`${why}: starting browser mode.`);
  if ('reason' in electron) console.log('(For the desktop app run `npm run electron:install` once.)');
  const args = [join(root, 'dist', 'main', 'web.mjs')];
  if (hasDisplay() && process.env.NETWRIGHT_NO_OPEN !== '1') args.push('--open');
  run(process.execPath, args);
}
