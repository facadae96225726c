// Electron main process (dist/main/app.mjs): one secure window on the built renderer; the host answers its IPC.
import { app, BrowserWindow, session, shell, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHost, packagePaths, packageVersion } from '../host';
import { forwardEvents, registerIpc } from './ipc';
import { utilityLauncher } from './utilityLauncher';

const paths = packagePaths();
const indexHtml = join(paths.rendererDir, 'index.html');
const indexUrl = pathToFileURL(indexHtml).href;
const preload = join(paths.root, 'dist', 'main', 'preload.cjs');

const host = createHost({
  mode: 'electron',
  version: packageVersion(paths.root),
  launcher: utilityLauncher(paths.trainerEntry),
  trainerEntry: paths.trainerEntry,
});

/** Only our own page (the top frame of a window we created) may call the Api. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && frame.url.split(/[?#]/)[0] === indexUrl;
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'Netwright',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const stopForwarding = forwardEvents(host, window.webContents);
  window.on('closed', stopForwarding);
  window.once('ready-to-show', () => window.show());
  // The window shows our page and nothing else; links open in the user's browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  void window.loadFile(indexHtml);
}

app.enableSandbox();

app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  registerIpc(host, isTrustedSender);
  void host.start();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}, (error: unknown) => {
  console.error(error);
  app.exit(1);
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', () => host.dispose());
