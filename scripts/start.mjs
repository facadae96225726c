// `npm start`: runs the desktop app when the Electron binary is installed, else browser mode; stays up until Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

/** The Electron executable, or the reason there is none. */
function findElectron() {
  try {
    // The electron package's main export is the path of the binary that its install script downloads.
    const binary = require('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { binary };
    return { reason: `Electron binary not found at ${String(binary)}` };
  } catch (error) {
    const dist = join(root, 'node_modules', 'electron', 'dist');
    const detail = existsSync(dist) ? String(error instanceof Error ? error.message : error) : 'node_modules/electron/dist missing';
    return { reason: `Electron binary not installed (${detail})` };
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
