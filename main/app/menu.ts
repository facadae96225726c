// The application menu as data (File, Edit, View, Run, Help; command items have ids for tests and updates) and the project files named on a command line (file
// associations on Windows/Linux, a second instance). Electron is used for types only, so the template is unit-tested.
import type { MenuItemConstructorOptions } from 'electron';
import { isAbsolute, resolve } from 'node:path';
import { projectExtension, type MenuCommandName, type RecentProject } from '../../shared/api';

/** What a menu item does; main.ts implements these (native dialogs, then a menuCommand to the window). */
export interface MenuActions {
  /** Sends a command that needs no file. */
  command(command: MenuCommandName): void;
  /** Asks for a file to open (project or checkpoint) with a native dialog, then sends the command with its path. */
  openWith(command: 'open' | 'newFromCheckpoint' | 'importCheckpoint'): void;
  /** Asks where to save (Save As, exports) with a native dialog, then sends the command with its path. */
  saveWith(command: 'saveAs' | 'exportCheckpoint' | 'exportPyTorch' | 'exportOnnx'): void;
  openRecent(path: string): void;
  openDocs(url: string): void;
  about(): void;
}

export interface MenuContext {
  platform: NodeJS.Platform;
  recent: readonly RecentProject[];
  /** Reload and the developer tools only in development builds. */
  development: boolean;
}

export const docsUrl = 'https://docs.pytorch.org/docs/stable/nn.html';
export const onnxDocsUrl = 'https://onnx.ai/onnx/operators/';

export function menuTemplate(context: MenuContext, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = context.platform === 'darwin';
  const recent: MenuItemConstructorOptions[] = context.recent
    .filter((entry) => entry.exists)
    .slice(0, 10)
    .map((entry) => ({ label: entry.name, sublabel: entry.path, click: () => actions.openRecent(entry.path) }));
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { id: 'file.new', label: 'New', accelerator: 'CmdOrCtrl+N', click: () => actions.command('new') },
      { id: 'file.newFromCheckpoint', label: 'New from Checkpoint…', click: () => actions.openWith('newFromCheckpoint') },
      { id: 'file.open', label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => actions.openWith('open') },
      { label: 'Open Recent', submenu: recent.length > 0 ? recent : [{ label: 'No recent projects', enabled: false }] },
      { type: 'separator' },
      { id: 'file.save', label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => actions.command('save') },
      { id: 'file.saveAs', label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.saveWith('saveAs') },
      { type: 'separator' },
      { id: 'file.importCheckpoint', label: 'Import Checkpoint…', click: () => actions.openWith('importCheckpoint') },
      {
        label: 'Export',
        submenu: [
          { id: 'file.exportCheckpoint', label: 'Checkpoint (.mdl)…', click: () => actions.saveWith('exportCheckpoint') },
          { id: 'file.exportPyTorch', label: 'PyTorch Code (.py)…', click: () => actions.saveWith('exportPyTorch') },
          { id: 'file.exportOnnx', label: 'ONNX (.onnx)…', click: () => actions.saveWith('exportOnnx') },
        ],
      },
      ...(mac ? [] : [{ type: 'separator' } as const, { role: 'quit' } as const]),
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      // The canvas keeps its own history, so Undo/Redo are commands, not the text-field roles.
      { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: () => actions.command('undo') },
      { label: 'Redo', accelerator: mac ? 'Cmd+Shift+Z' : 'Ctrl+Y', click: () => actions.command('redo') },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(context.development ? [{ role: 'reload' } as const, { role: 'toggleDevTools' } as const, { type: 'separator' } as const] : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const run: MenuItemConstructorOptions = {
    label: '&Run',
    submenu: [
      { id: 'run.train', label: 'Train', accelerator: 'F5', click: () => actions.command('train') },
      { id: 'run.pause', label: 'Pause', accelerator: 'F6', click: () => actions.command('pause') },
      { id: 'run.stop', label: 'Stop', accelerator: 'Shift+F5', click: () => actions.command('stop') },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: '&Help',
    submenu: [
      { label: 'PyTorch nn Documentation', click: () => actions.openDocs(docsUrl) },
      { label: 'ONNX Operators', click: () => actions.openDocs(onnxDocsUrl) },
      ...(mac ? [] : [{ type: 'separator' } as const, { label: 'About Netwright', click: () => actions.about() }]),
    ],
  };
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [{ role: 'appMenu' }]
    : [];
  return [...appMenu, file, edit, view, run, ...(mac ? [{ role: 'windowMenu' } as const] : []), help];
}

/** Project files named on a command line (`netwright model.nwproj`, a double-click on Windows/Linux, a second instance). */
export function projectFilesFromArgv(argv: readonly string[], cwd: string): string[] {
  return argv
    .slice(1)
    .filter((arg) => !arg.startsWith('-') && arg.toLowerCase().endsWith(projectExtension))
    .map((arg) => (isAbsolute(arg) ? arg : resolve(cwd, arg)));
}

/** Native dialog filters per command. */
export function dialogFilters(command: 'open' | 'newFromCheckpoint' | 'importCheckpoint' | 'saveAs' | 'exportCheckpoint' | 'exportPyTorch' | 'exportOnnx'): { name: string; extensions: string[] }[] {
  switch (command) {
    case 'open':
      return [{ name: 'Netwright project', extensions: [projectExtension.slice(1), 'json'] }];
    case 'saveAs':
      return [{ name: 'Netwright project', extensions: [projectExtension.slice(1)] }];
    case 'newFromCheckpoint':
    case 'importCheckpoint':
      return [
        { name: 'PyTorch state_dict', extensions: ['mdl', 'pt', 'pth'] },
        { name: 'safetensors', extensions: ['safetensors'] },
      ];
    case 'exportCheckpoint':
      return [{ name: 'PyTorch state_dict', extensions: ['mdl', 'pt', 'pth'] }];
    case 'exportPyTorch':
      return [{ name: 'Python', extensions: ['py'] }];
    case 'exportOnnx':
      return [{ name: 'ONNX model', extensions: ['onnx'] }];
  }
}
