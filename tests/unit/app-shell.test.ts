// Desktop shell logic that needs no Electron binary: exit/child-process-gone coalescing, the 3-in-5-minutes restart
// budget, the close/quit question and stopping runs, window state, the menu template and command-line files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { Api, ApiEventData, RunInfo } from '../../shared/api';
import { CrashPolicy, ExitCoalescer, type ExitReport } from '../../main/app/crash';
import { menuTemplate, projectFilesFromArgv, type MenuActions } from '../../main/app/menu';
import { choiceFromResponse, liveRuns, quitDialog, stopRuns } from '../../main/app/quit';
import { defaultWindowState, fitToDisplays, readWindowState, writeWindowState } from '../../main/app/windowState';

describe('trainer exit coalescing', () => {
  it('reports once with code and reason when exit comes first', () => {
    vi.useFakeTimers();
    const reports: ExitReport[] = [];
    const c = new ExitCoalescer((r) => reports.push(r), 500);
    c.exit(139);
    expect(reports).toEqual([]);
    c.gone('crashed', 139);
    c.exit(0);
    c.gone('killed', 9);
    vi.advanceTimersByTime(1000);
    expect(reports).toEqual([{ code: 139, reason: 'crashed' }]);
    vi.useRealTimers();
  });

  it('reports once when child-process-gone comes first', () => {
    vi.useFakeTimers();
    const reports: ExitReport[] = [];
    const c = new ExitCoalescer((r) => reports.push(r), 500);
    c.gone('oom', -536870904);
    c.exit(-536870904);
    vi.advanceTimersByTime(1000);
    expect(reports).toEqual([{ code: -536870904, reason: 'oom' }]);
    vi.useRealTimers();
  });

  it('reports after the grace period when only one signal arrives', () => {
    vi.useFakeTimers();
    const reports: ExitReport[] = [];
    new ExitCoalescer((r) => reports.push(r), 500).exit(1);
    const gone = new ExitCoalescer((r) => reports.push(r), 500);
    gone.gone('killed', 15);
    vi.advanceTimersByTime(499);
    expect(reports).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(reports).toEqual([{ code: 1, reason: null }, { code: 15, reason: 'killed' }]);
    vi.useRealTimers();
  });
});

describe('crash restart budget', () => {
  it('restarts twice, gives up on the third crash within 5 minutes', () => {
    const policy = new CrashPolicy();
    expect(policy.record(0)).toBe('restart');
    expect(policy.record(60_000)).toBe('restart');
    expect(policy.record(120_000)).toBe('give-up');
  });

  it('forgets crashes older than 5 minutes', () => {
    const policy = new CrashPolicy();
    expect(policy.record(0)).toBe('restart');
    expect(policy.record(100_000)).toBe('restart');
    expect(policy.record(300_001)).toBe('restart');
    expect(policy.recentCrashes(300_001)).toBe(2);
    expect(policy.record(300_002)).toBe('give-up');
  });
});

const run = (id: string, state: RunInfo['state']): RunInfo => ({
  id, projectName: `p-${id}`, dir: `/runs/${id}`, state, startedAt: '2025-01-01T00:00:00Z', epochs: 5, epoch: 2, step: 40,
  lastCheckpoint: null, resumable: false, lastEpoch: null,
});

/** A host whose runs end (final state event) some time after stopRun; `stuck` runs never do. */
function fakeRunsApi(runs: RunInfo[], stuck: Set<string> = new Set()): Pick<Api, 'stopRun' | 'listRuns' | 'on'> & { stops: [string, boolean][] } {
  const listeners = new Set<(data: ApiEventData<'runStatus'>) => void>();
  const stops: [string, boolean][] = [];
  return {
    stops,
    stopRun(id, { save }) {
      stops.push([id, save]);
      const info = runs.find((r) => r.id === id);
      if (info === undefined) return Promise.reject(new Error('E_RUN_NOT_FOUND'));
      if (!stuck.has(id)) {
        setTimeout(() => {
          info.state = 'stopped';
          for (const listener of listeners) listener({ ...info });
        }, 20);
      }
      return Promise.resolve({ ...info });
    },
    listRuns: () => Promise.resolve(runs.map((r) => ({ ...r }))),
    on(event, listener) {
      if (event !== 'runStatus') return () => undefined;
      const typed = listener as (data: ApiEventData<'runStatus'>) => void;
      listeners.add(typed);
      return () => listeners.delete(typed);
    },
  };
}

describe('close and quit during a run', () => {
  it('asks only about live runs, with Stop & Save / Stop / Cancel', () => {
    const live = liveRuns([run('a', 'running'), run('b', 'completed'), run('c', 'paused'), run('d', 'crashed')]);
    expect(live.map((r) => r.id)).toEqual(['a', 'c']);
    const options = quitDialog(live, true);
    expect(options.buttons).toEqual(['Stop && Save', 'Stop', 'Cancel']);
    expect(options.cancelId).toBe(2);
    expect(options.message).toContain('2 training runs');
    expect(options.detail).toContain('p-a');
    expect([0, 1, 2, -1].map(choiceFromResponse)).toEqual(['stop-save', 'stop', 'cancel', 'cancel']);
  });

  it('Stop & Save asks each run to save and waits until every one is final', async () => {
    const runs = [run('a', 'running'), run('b', 'paused')];
    const api = fakeRunsApi(runs);
    const stuck = await stopRuns(api, ['a', 'b'], true, 5_000);
    expect(stuck).toEqual([]);
    expect(api.stops).toEqual([['a', true], ['b', true]]);
    expect(runs.every((r) => r.state === 'stopped')).toBe(true);
  });

  it('gives back the runs that did not stop in time (their trainers are then killed)', async () => {
    const runs = [run('a', 'running'), run('b', 'running')];
    const stuck = await stopRuns(fakeRunsApi(runs, new Set(['b'])), ['a', 'b'], false, 200);
    expect(stuck).toEqual(['b']);
  });

  it('does not wait for a run that ended before it was asked', async () => {
    const stuck = await stopRuns(fakeRunsApi([]), ['gone'], true, 5_000);
    expect(stuck).toEqual([]);
  });
});

describe('window state', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1040 }];

  it('round-trips and falls back to the default on a damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netwright-window-'));
    const file = join(dir, 'sub', 'window-state.json');
    expect(readWindowState(file)).toEqual(defaultWindowState);
    writeWindowState(file, { x: 100, y: 50, width: 1000, height: 700, maximized: true });
    expect(readWindowState(file)).toEqual({ x: 100, y: 50, width: 1000, height: 700, maximized: true });
    writeFileSync(file, '{"width": "huge"');
    expect(readWindowState(file)).toEqual(defaultWindowState);
  });

  it('keeps a position that is on a display and clamps the size to it', () => {
    expect(fitToDisplays({ x: 100, y: 50, width: 1000, height: 700, maximized: false }, screen)).toEqual({ x: 100, y: 50, width: 1000, height: 700 });
    expect(fitToDisplays({ x: 1800, y: 50, width: 4000, height: 700, maximized: false }, screen)).toEqual({ x: 0, y: 50, width: 1920, height: 700 });
  });

  it('drops a position on a display that is gone', () => {
    expect(fitToDisplays({ x: 3000, y: 50, width: 1000, height: 700, maximized: false }, screen)).toEqual({ width: 1000, height: 700 });
  });
});

function labels(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((item) => [item.label ?? item.role ?? '', ...(Array.isArray(item.submenu) ? labels(item.submenu) : [])]);
}

function find(items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions | undefined {
  for (const item of items) {
    if (item.label === label) return item;
    if (Array.isArray(item.submenu)) {
      const found = find(item.submenu, label);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

describe('application menu', () => {
  const calls: string[] = [];
  const actions: MenuActions = {
    command: (c) => calls.push(`command:${c}`),
    openWith: (c) => calls.push(`open:${c}`),
    saveWith: (c) => calls.push(`save:${c}`),
    openRecent: (p) => calls.push(`recent:${p}`),
    openDocs: (u) => calls.push(`docs:${u}`),
    about: () => calls.push('about'),
  };
  const recent = [
    { path: '/p/a.nwproj', name: 'a', openedAt: '', exists: true },
    { path: '/p/gone.nwproj', name: 'gone', openedAt: '', exists: false },
  ];

  it('has File, Edit, View, Run and Help with the items of the issue', () => {
    const template = menuTemplate({ platform: 'linux', recent, development: false }, actions);
    expect(template.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Run', '&Help']);
    const all = labels(template);
    for (const label of ['New', 'New from Checkpoint…', 'Open…', 'Open Recent', 'Save', 'Save As…', 'Import Checkpoint…', 'Checkpoint (.mdl)…', 'PyTorch Code (.py)…', 'ONNX (.onnx)…', 'Train', 'Pause', 'Stop', 'quit']) {
      expect(all).toContain(label);
    }
    expect(all).not.toContain('toggleDevTools');
    expect(all).toContain('a');
    expect(all).not.toContain('gone');
  });

  it('routes clicks to native dialogs or commands', () => {
    const template = menuTemplate({ platform: 'linux', recent, development: true }, actions);
    const click = (label: string): void => {
      const item = find(template, label);
      (item?.click as (() => void) | undefined)?.();
    };
    calls.length = 0;
    for (const label of ['New', 'New from Checkpoint…', 'Open…', 'Save As…', 'Import Checkpoint…', 'ONNX (.onnx)…', 'Train', 'a', 'About Netwright']) click(label);
    expect(calls).toEqual(['command:new', 'open:newFromCheckpoint', 'open:open', 'save:saveAs', 'open:importCheckpoint', 'save:exportOnnx', 'command:train', 'recent:/p/a.nwproj', 'about']);
    expect(labels(template)).toContain('toggleDevTools');
  });

  it('uses the app menu on macOS', () => {
    const template = menuTemplate({ platform: 'darwin', recent: [], development: false }, actions);
    expect(template[0]?.role).toBe('appMenu');
    expect(labels(template)).toContain('No recent projects');
  });

  it('finds project files on a command line (file associations, second instance)', () => {
    expect(projectFilesFromArgv(['/opt/Netwright/netwright', '--enable-logging', 'models/a.nwproj', '/abs/B.NWPROJ', 'notes.txt'], '/home/u')).toEqual([
      '/home/u/models/a.nwproj',
      '/abs/B.NWPROJ',
    ]);
    expect(projectFilesFromArgv(['electron', '.'], '/x')).toEqual([]);
  });
});
