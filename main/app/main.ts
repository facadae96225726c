// Electron main process (dist/main/app.mjs): single instance, app:// bundle, secure windows from one factory, menus
// with native dialogs, validated IPC, trainers in utility processes, and the close/quit/crash rules of docs §7.
import { app, BrowserWindow, dialog, Menu, screen, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import type { MenuCommand, RecentProject, RunInfo } from '../../shared/api';
import { createHost, packagePaths, packageVersion } from '../host';
import { handleAppProtocol, registerAppScheme } from './appProtocol';
import { CrashPolicy } from './crash';
import { forwardEvents, registerIpc, sendMenuCommand, sendMetricsPort } from './ipc';
import { dialogFilters, menuTemplate, projectFilesFromArgv, type MenuActions } from './menu';
import { choiceFromResponse, liveRuns, quitDialog, stopRuns } from './quit';
import { appIndexUrl, isAppUrl, isDocumentationUrl, navigationDecision, permissionDecision, windowOptions } from './security';
import { utilityLauncher, type LiveRun } from './utilityLauncher';
import { fitToDisplays, readWindowState, writeWindowState } from './windowState';

/** How long Stop / Stop & Save may take before the trainers are killed. */
const stopTimeoutMs = 15_000;

const paths = packagePaths();
const preload = join(paths.root, 'dist', 'main', 'preload.cjs');
const development = !app.isPackaged;

// Before anything else: a second launch hands its files to the first and exits.
const primary = app.requestSingleInstanceLock();
if (!primary) {
  app.quit();
} else {
  registerAppScheme();
  app.enableSandbox();
  startApp();
}

function startApp(): void {
  /** Windows whose page has loaded (they can take menu commands and metrics ports). */
  const loaded = new Set<WebContents>();
  const windows = new Set<BrowserWindow>();
  /** Project files to open once a window is ready (macOS open-file can come before 'ready'). */
  const pendingOpens: string[] = projectFilesFromArgv(process.argv, process.cwd());
  let recent: RecentProject[] = [];
  let quitApproved = false;

  const desktop = utilityLauncher(paths.trainerEntry, {
    runStarted(run: LiveRun) {
      for (const contents of loaded) sendMetricsPort(contents, run.runId, run.openMetricsPort());
    },
    runEnded: () => undefined,
  });
  const host = createHost({
    mode: 'electron',
    version: packageVersion(paths.root),
    launcher: desktop.launcher,
    trainerEntry: paths.trainerEntry,
  });

  const isOurWindow = (contents: WebContents): boolean => [...windows].some((window) => window.webContents === contents);
  const focusedWindow = (): BrowserWindow | null => BrowserWindow.getFocusedWindow() ?? [...windows][0] ?? null;

  const send = (command: MenuCommand): void => {
    const window = focusedWindow();
    if (window !== null && loaded.has(window.webContents)) sendMenuCommand(window.webContents, command);
    else if (command.command === 'open' && command.path !== null) pendingOpens.push(command.path);
  };

  const openFile = (path: string): void => {
    const window = focusedWindow();
    if (window === null) {
      pendingOpens.push(path);
      if (app.isReady()) createWindow();
      return;
    }
    if (window.isMinimized()) window.restore();
    window.focus();
    send({ command: 'open', path });
  };

  // ---- menu ----------------------------------------------------------------------------------------------------
  const actions: MenuActions = {
    command: (command) => send({ command, path: null }),
    openWith(command) {
      const window = focusedWindow();
      const options = { properties: ['openFile' as const], filters: dialogFilters(command) };
      void (window === null ? dialog.showOpenDialog(options) : dialog.showOpenDialog(window, options)).then((result) => {
        const path = result.filePaths[0];
        if (!result.canceled && path !== undefined) send({ command, path });
      });
    },
    saveWith(command) {
      const window = focusedWindow();
      const options = { filters: dialogFilters(command) };
      void (window === null ? dialog.showSaveDialog(options) : dialog.showSaveDialog(window, options)).then((result) => {
        if (!result.canceled && result.filePath !== undefined && result.filePath !== '') send({ command, path: result.filePath });
      });
    },
    openRecent: (path) => openFile(path),
    openDocs(url) {
      if (isDocumentationUrl(url)) void shell.openExternal(url);
    },
    about() {
      void dialog.showMessageBox({ type: 'info', title: 'About Netwright', message: `Netwright ${app.getVersion()}`, detail: `Electron ${process.versions.electron}` });
    },
  };
  const rebuildMenu = (): void => {
    Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({ platform: process.platform, recent, development }, actions)));
  };
  const refreshRecent = (): void => {
    host.recentProjects().then((list) => {
      recent = list;
      rebuildMenu();
    }, () => undefined);
  };

  // ---- windows -------------------------------------------------------------------------------------------------
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const rendererPolicy = new CrashPolicy();

  function createWindow(): BrowserWindow {
    const state = readWindowState(stateFile);
    const bounds = fitToDisplays(state, screen.getAllDisplays().map((display) => display.workArea));
    const window = new BrowserWindow(windowOptions(preload, bounds, { devTools: development }));
    windows.add(window);
    const contents = window.webContents;
    if (state.maximized) window.maximize();
    const stopForwarding = forwardEvents(host, contents);
    window.once('ready-to-show', () => window.show());
    window.on('focus', refreshRecent);
    contents.on('did-finish-load', () => {
      loaded.add(contents);
      // A reloaded window (after a renderer crash) re-attaches to every live run's metrics.
      for (const run of desktop.liveRuns()) sendMetricsPort(contents, run.runId, run.openMetricsPort());
      for (const path of pendingOpens.splice(0)) sendMenuCommand(contents, { command: 'open', path });
    });
    contents.on('did-start-loading', () => loaded.delete(contents));
    contents.on('render-process-gone', (_event, details) => {
      loaded.delete(contents);
      if (details.reason === 'clean-exit' || window.isDestroyed()) return;
      console.error(`[app] renderer gone (${details.reason}, code ${details.exitCode}); training continues in its trainer processes`);
      if (rendererPolicy.record(Date.now()) === 'restart') {
        void window.loadURL(appIndexUrl);
        return;
      }
      void dialog.showMessageBox(window, { type: 'error', message: 'The window crashed 3 times in 5 minutes.', detail: 'Training continues. Reload the window to try again.', buttons: ['Reload', 'Quit'] }).then(({ response }) => {
        if (response === 0) void window.loadURL(appIndexUrl);
        else app.quit();
      });
    });
    let closeApproved = false;
    window.on('close', (event) => {
      const normal = window.getNormalBounds();
      writeWindowState(stateFile, { ...normal, maximized: window.isMaximized() });
      if (closeApproved || quitApproved || windows.size > 1) return;
      const live = liveRuns(host.runs.list());
      if (live.length === 0) return;
      event.preventDefault();
      void confirmStop(window, live, false).then((proceed) => {
        if (!proceed) return;
        closeApproved = true;
        window.close();
      });
    });
    window.on('closed', () => {
      stopForwarding();
      loaded.delete(contents);
      windows.delete(window);
    });
    void window.loadURL(appIndexUrl);
    return window;
  }

  /** Asks Stop & Save / Stop / Cancel; resolves true when the runs are stopped (or killed after the timeout). */
  async function confirmStop(window: BrowserWindow | null, live: RunInfo[], quitting: boolean): Promise<boolean> {
    const options = quitDialog(live, quitting);
    const { response } = await (window === null ? dialog.showMessageBox(options) : dialog.showMessageBox(window, options));
    const choice = choiceFromResponse(response);
    if (choice === 'cancel') return false;
    const stuck = await stopRuns(host, live.map((run) => run.id), choice === 'stop-save', stopTimeoutMs);
    for (const id of stuck) {
      try {
        host.runs.killTrainer(id);
      } catch {
        /* ended meanwhile */
      }
    }
    return true;
  }

  // ---- every web contents: no navigation, no new windows, no webviews ------------------------------------------
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      const decision = navigationDecision(url);
      if ('openExternal' in decision) void shell.openExternal(decision.openExternal);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      event.preventDefault();
      const decision = navigationDecision(url);
      if ('openExternal' in decision) void shell.openExternal(decision.openExternal);
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  // ---- OS integration ------------------------------------------------------------------------------------------
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const files = projectFilesFromArgv(argv, workingDirectory);
    if (files.length === 0) {
      const window = focusedWindow();
      if (window !== null) {
        if (window.isMinimized()) window.restore();
        window.focus();
      } else if (app.isReady()) createWindow();
    }
    for (const file of files) openFile(file);
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    if (app.isReady()) openFile(path);
    else pendingOpens.push(path);
  });

  // ---- crashes -------------------------------------------------------------------------------------------------
  app.on('child-process-gone', (_event, details) => desktop.childProcessGone(details));
  const enginePolicy = new CrashPolicy();
  host.on('engineStatus', (status) => {
    if (status.state !== 'error' || status.error.code !== 'E_TRAINER_EXIT' || quitApproved) return;
    if (enginePolicy.record(Date.now()) === 'restart') void host.restartEngine();
    else console.error('[app] the engine trainer crashed 3 times in 5 minutes; not restarting it on its own (Restart engine in the status bar).');
  });
  const runPolicies = new Map<string, CrashPolicy>();
  const handledCrashes = new Set<string>();
  host.on('runStatus', (info) => {
    if (info.state !== 'crashed' || quitApproved) return;
    const key = `${info.id}@${info.endedAt ?? ''}`;
    if (handledCrashes.has(key)) return;
    handledCrashes.add(key);
    const policy = runPolicies.get(info.id) ?? new CrashPolicy();
    runPolicies.set(info.id, policy);
    if (!info.resumable) return;
    if (policy.record(Date.now()) === 'restart') {
      host.resumeRun(info.id).catch((error: unknown) => console.error(`[app] could not resume run ${info.id}: ${String(error)}`));
      return;
    }
    const window = focusedWindow();
    const options = {
      type: 'warning' as const,
      message: `Training of ${info.projectName} crashed 3 times in 5 minutes.`,
      detail: `${info.message ?? ''}\n\nIt was not restarted again. Resume from the last checkpoint (step ${info.step})?`,
      buttons: ['Resume', 'Not now'],
      defaultId: 1,
      cancelId: 1,
    };
    void (window === null ? dialog.showMessageBox(options) : dialog.showMessageBox(window, options)).then(({ response }) => {
      if (response === 0) host.resumeRun(info.id).catch((error: unknown) => console.error(`[app] could not resume run ${info.id}: ${String(error)}`));
    });
  });

  // ---- lifecycle -----------------------------------------------------------------------------------------------
  app.whenReady().then(() => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_contents, permission, callback) => callback(permissionDecision(permission)));
    ses.setPermissionCheckHandler((_contents, permission) => permissionDecision(permission));
    ses.setDevicePermissionHandler(() => false);
    handleAppProtocol(paths.rendererDir);
    registerIpc(host, isOurWindow);
    rebuildMenu();
    refreshRecent();
    void host.start();
    createWindow();
    app.on('activate', () => {
      if (windows.size === 0) createWindow();
    });
  }, (error: unknown) => {
    console.error(error);
    app.exit(1);
  });

  app.on('before-quit', (event) => {
    if (quitApproved) return;
    const live = liveRuns(host.runs.list());
    if (live.length === 0) {
      quitApproved = true;
      return;
    }
    event.preventDefault();
    void confirmStop(focusedWindow(), live, true).then((proceed) => {
      if (!proceed) return;
      quitApproved = true;
      app.quit();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('will-quit', () => host.dispose());
}
