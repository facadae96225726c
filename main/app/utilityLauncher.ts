// Starts the trainer as an Electron utilityProcess (desktop): same TrainerLauncher interface as the Node fork.
import { utilityProcess } from 'electron';
import { TailBuffer, type TrainerExit, type TrainerLauncher, type TrainerProcess } from '../host';

export function utilityLauncher(entry: string): TrainerLauncher {
  return {
    description: `utilityProcess ${entry}`,
    launch(): TrainerProcess {
      const tail = new TailBuffer();
      const child = utilityProcess.fork(entry, [], { serviceName: 'Netwright trainer', stdio: 'pipe' });
      child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
      child.stderr?.on('data', (chunk: Buffer) => {
        tail.push(chunk.toString('utf8'));
        process.stderr.write(chunk);
      });
      const exitListeners: ((exit: TrainerExit) => void)[] = [];
      let exited = false;
      child.on('exit', (code) => {
        exited = true;
        for (const listener of exitListeners) listener({ code, signal: null });
      });
      return {
        send(message) {
          if (!exited) child.postMessage(message);
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
}
