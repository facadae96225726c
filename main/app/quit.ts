// Closing the window or quitting while training runs: the question asked (Stop & Save / Stop / Cancel) and stopping
// the runs, waiting until each trainer reports a final state. Pure over the Api, so tested with a fake host.
import { isFinalRunState, type Api, type RunInfo } from '../../shared/api';

export type QuitChoice = 'stop-save' | 'stop' | 'cancel';

export const quitButtons = ['Stop && Save', 'Stop', 'Cancel'] as const;

/** The runs that keep a close or quit waiting. */
export function liveRuns(runs: readonly RunInfo[]): RunInfo[] {
  return runs.filter((run) => !isFinalRunState(run.state));
}

/** The native message box's options (Electron's MessageBoxOptions, minus the window). */
export function quitDialog(live: readonly RunInfo[], quitting: boolean): {
  type: 'question';
  buttons: string[];
  defaultId: number;
  cancelId: number;
  title: string;
  message: string;
  detail: string;
  noLink: true;
} {
  const names = live.map((run) => `${run.projectName} (epoch ${run.epoch}/${run.epochs}, step ${run.step})`).join('\n');
  const what = live.length === 1 ? 'A training run is' : `${live.length} training runs are`;
  return {
    type: 'question',
    buttons: [...quitButtons],
    defaultId: 0,
    cancelId: 2,
    title: quitting ? 'Quit Netwright' : 'Close window',
    message: `${what} still in progress. Stop before ${quitting ? 'quitting' : 'closing'}?`,
    detail: `${names}\n\nStop & Save finishes the current step and saves a checkpoint you can resume from. Stop ends the run without saving.`,
    noLink: true,
  };
}

export function choiceFromResponse(response: number): QuitChoice {
  return response === 0 ? 'stop-save' : response === 1 ? 'stop' : 'cancel';
}

/**
 * Asks every live run to stop (saving a checkpoint first with `save`) and resolves once each has reached a final
 * state or `timeoutMs` passed; resolves with the ids still not final (the caller kills their trainers).
 */
export async function stopRuns(api: Pick<Api, 'stopRun' | 'listRuns' | 'on'>, ids: readonly string[], save: boolean, timeoutMs: number): Promise<string[]> {
  const waiting = new Set(ids);
  if (waiting.size === 0) return [];
  return new Promise<string[]>((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unsubscribe();
      resolve([...waiting]);
    };
    const timer = setTimeout(finish, timeoutMs);
    const unsubscribe = api.on('runStatus', (info) => {
      if (isFinalRunState(info.state)) waiting.delete(info.id);
      if (waiting.size === 0) finish();
    });
    void Promise.all(
      ids.map((id) =>
        api.stopRun(id, { save }).catch(() => {
          // Already gone (finished between the question and the answer): nothing to wait for.
          waiting.delete(id);
        }),
      ),
    ).then(async () => {
      // A run may have ended before we subscribed; the list is the truth.
      const runs = await api.listRuns().catch(() => []);
      for (const run of runs) if (waiting.has(run.id) && isFinalRunState(run.state)) waiting.delete(run.id);
      if (waiting.size === 0) finish();
    });
  });
}
