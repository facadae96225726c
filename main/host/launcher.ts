// How the host starts the trainer process: a small interface, with the Node child_process implementation.
// Electron's utilityProcess implementation lives in main/app (it needs the electron module).
import { fork } from 'node:child_process';
import type { HostToTrainer } from '../../shared/api';

export interface TrainerExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be spawned at all. */
  spawnError?: string;
}

/** A running trainer process as the host sees it: typed messages in, untrusted messages out. */
export interface TrainerProcess {
  send(message: HostToTrainer): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: TrainerExit) => void): void;
  /** The last lines the process wrote to stderr, for error messages. */
  stderrTail(): string;
  kill(): void;
}

export interface TrainerLauncher {
  /** Human-readable: what will be started, for error messages. */
  readonly description: string;
  launch(): TrainerProcess;
}

export interface ForkLauncherOptions {
  /** The module to run: dist/main/trainer.mjs, or main/trainer/entry.ts with execArgv ['--import', 'tsx']. */
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

const stderrLimit = 4000;

/** Keeps the last `stderrLimit` characters written to a stream. */
export class TailBuffer {
  private text = '';

  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-stderrLimit);
  }

  toString(): string {
    return this.text.trim();
  }
}

/** Starts the trainer with child_process.fork (browser mode, CLI, tests). */
export function forkLauncher(options: ForkLauncherOptions): TrainerLauncher {
  return {
    description: `node ${options.entry}`,
    launch(): TrainerProcess {
      const tail = new TailBuffer();
      const child = fork(options.entry, [], {
        execArgv: options.execArgv ?? [],
        env: options.env ?? process.env,
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
        serialization: 'json',
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        tail.push(chunk);
        process.stderr.write(chunk);
      });
      const exitListeners: ((exit: TrainerExit) => void)[] = [];
      let exited = false;
      const finish = (exit: TrainerExit): void => {
        if (exited) return;
        exited = true;
        for (const listener of exitListeners) listener(exit);
      };
      child.on('exit', (code, signal) => finish({ code, signal }));
      child.on('error', (error) => finish({ code: null, signal: null, spawnError: error.message }));
      return {
        send(message) {
          if (child.connected) child.send(message);
        },
        onMessage(listener) {
          child.on('message', (message: unknown) => listener(message));
        },
        onExit(listener) {
          exitListeners.push(listener);
        },
        stderrTail: () => tail.toString(),
        kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill();
        },
      };
    },
  };
}
