// Starts trainers as Electron utility processes (desktop): the host's TrainerLauncher interface, plus what only the
// desktop has: one exit report from `exit` and app's `child-process-gone` (either order), and MessagePorts that carry
// a run's metrics from its trainer straight to the renderer, never through main.
import { MessageChannelMain, utilityProcess, type UtilityProcess } from 'electron';
import type { HostToTrainer } from '../../shared/api';
import { TailBuffer, type TrainerExit, type TrainerLauncher, type TrainerProcess } from '../host';
import { ExitCoalescer, type GoneReason } from './crash';

/** A trainer running a training run: `attach` gives it one end of a new channel and returns the other. */
export interface LiveRun {
  runId: string;
  /** Creates a MessageChannelMain, hands port1 to the trainer for this run's metrics and returns port2. */
  openMetricsPort(): Electron.MessagePortMain;
}

export interface UtilityLauncherHooks {
  /** A run was started in a trainer (called before the trainer gets `startRun`, so no metric is missed). */
  runStarted(run: LiveRun): void;
  /** The trainer of a run exited (for whatever reason). */
  runEnded(runId: string): void;
}

export interface DesktopLauncher {
  launcher: TrainerLauncher;
  /** Feed app's `child-process-gone` here; reports for processes that are not ours are ignored. */
  childProcessGone(details: { type: string; reason: GoneReason; exitCode: number; serviceName?: string; name?: string }): void;
  liveRuns(): LiveRun[];
}

export function utilityLauncher(entry: string, hooks: UtilityLauncherHooks): DesktopLauncher {
  let counter = 0;
  const byService = new Map<string, ExitCoalescer>();
  const runs = new Map<string, LiveRun>();
  const launcher: TrainerLauncher = {
    description: `utilityProcess ${entry}`,
    launch(): TrainerProcess {
      counter += 1;
      // A unique service name lets child-process-gone be matched to this process.
      const serviceName = `Netwright trainer ${process.pid}-${counter}`;
      const tail = new TailBuffer();
      const child: UtilityProcess = utilityProcess.fork(entry, [], { serviceName, stdio: 'pipe' });
      child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
      child.stderr?.on('data', (chunk: Buffer) => {
        tail.push(chunk.toString('utf8'));
        process.stderr.write(chunk);
      });
      const exitListeners: ((exit: TrainerExit) => void)[] = [];
      let exited = false;
      let runId: string | null = null;
      const coalescer = new ExitCoalescer((report) => {
        byService.delete(serviceName);
        if (runId !== null) {
          runs.delete(runId);
          hooks.runEnded(runId);
        }
        const exit: TrainerExit =
          report.reason === 'launch-failed'
            ? { code: report.code, signal: null, spawnError: 'the utility process could not be launched' }
            : { code: report.code, signal: report.reason !== null && report.reason !== 'clean-exit' ? report.reason : null };
        for (const listener of exitListeners) listener(exit);
      });
      byService.set(serviceName, coalescer);
      child.on('exit', (code) => {
        exited = true;
        coalescer.exit(code);
      });
      // A fatal V8 error: the process is going down; `exit` follows.
      child.on('error', () => coalescer.gone('crashed', -1));
      return {
        send(message: HostToTrainer) {
          if (exited) return;
          if (message.type === 'startRun') {
            runId = message.runId;
            const id = message.runId;
            const run: LiveRun = {
              runId: id,
              openMetricsPort() {
                const { port1, port2 } = new MessageChannelMain();
                child.postMessage({ type: 'attachMetricsPort', runId: id } satisfies HostToTrainer, [port1]);
                return port2;
              },
            };
            runs.set(id, run);
            hooks.runStarted(run);
          }
          child.postMessage(message);
        },
        onMessage(listener) {
          child.on('message', (message: unknown) => listener(message));
        },
        onExit(listener) {
          exitListeners.push(listener);
        },
        stderrTail: () => tail.toString(),
        kill() {
          if (!exited) child.kill();
        },
      };
    },
  };
  return {
    launcher,
    childProcessGone(details) {
      if (details.type !== 'Utility') return;
      const coalescer = byService.get(details.serviceName ?? '') ?? byService.get(details.name ?? '');
      coalescer?.gone(details.reason, details.exitCode);
    },
    liveRuns: () => [...runs.values()],
  };
}
