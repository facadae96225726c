// The trainer's link to its host: Node IPC (child_process.fork) or Electron's process.parentPort (utilityProcess).
import type { TrainerToHost } from '../../shared/api';

/** A transferred MessagePort (Electron's MessagePortMain in a utility process). */
export interface MetricsPort {
  postMessage(message: unknown): void;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

export interface HostChannel {
  send(message: TrainerToHost): void;
  /** `ports`: MessagePorts transferred with the message (utilityProcess only; always empty over Node IPC). */
  onMessage(listener: (message: unknown, ports: readonly MetricsPort[]) => void): void;
  onDisconnect(listener: () => void): void;
}

/** The subset of Electron's ParentPort we use; declared here so the trainer needs no Electron types. */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown; ports?: MetricsPort[] }) => void): unknown;
}

export function connectToHost(): HostChannel {
  const parentPort = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;
  if (parentPort !== undefined) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => {
        parentPort.on('message', (event) => listener(event.data, event.ports ?? []));
      },
      // A utilityProcess is killed by Electron when its parent goes away.
      onDisconnect: () => undefined,
    };
  }
  const send = process.send?.bind(process);
  if (send === undefined) {
    throw new Error('E_TRAINER_START: the trainer must be started by the host (child_process.fork or utilityProcess.fork), not run directly.');
  }
  return {
    send: (message) => {
      send(message);
    },
    onMessage: (listener) => {
      process.on('message', (message: unknown) => listener(message, []));
    },
    onDisconnect: (listener) => {
      process.on('disconnect', listener);
    },
  };
}
