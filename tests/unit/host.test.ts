// Host lifecycle: statuses from fake trainer processes (hello, answers, crashes) and from the real trainer entry.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EngineStatus, HostToTrainer, TrainerToHost } from '../../shared/api';
import { createHost, forkLauncher, packagePaths, type TrainerExit, type TrainerLauncher, type TrainerProcess } from '../../main/host';
import { fakeEngineInfo } from './helpers/fakeApi';

type Behaviour = (message: HostToTrainer, reply: (message: TrainerToHost) => void, exit: (exit: TrainerExit) => void) => void;

/** A launcher whose processes live in memory and react to requests with `behaviour`. */
function fakeLauncher(behaviour: Behaviour, options: { hello?: boolean; stderr?: string } = {}): TrainerLauncher & { launches: number } {
  const launcher = {
    description: 'fake trainer',
    launches: 0,
    launch(): TrainerProcess {
      launcher.launches += 1;
      const messageListeners: ((message: unknown) => void)[] = [];
      const exitListeners: ((exit: TrainerExit) => void)[] = [];
      let alive = true;
      const reply = (message: TrainerToHost): void => {
        setImmediate(() => alive && messageListeners.forEach((listener) => listener(message)));
      };
      const exit = (info: TrainerExit): void => {
        setImmediate(() => {
          if (!alive) return;
          alive = false;
          exitListeners.forEach((listener) => listener(info));
        });
      };
      if (options.hello !== false) reply({ type: 'hello', pid: 1 });
      return {
        send: (message) => behaviour(message, reply, exit),
        onMessage: (listener) => void messageListeners.push(listener),
        onExit: (listener) => void exitListeners.push(listener),
        stderrTail: () => options.stderr ?? '',
        kill: () => exit({ code: null, signal: 'SIGTERM' }),
      };
    },
  };
  return launcher;
}

const answersInfo: Behaviour = (message, reply) => {
  if (message.type === 'engineInfo') reply({ type: 'result', id: message.id, info: fakeEngineInfo });
};

describe('host', () => {
  it('starts in "starting" and becomes ready with the engine info', async () => {
    const host = createHost({ mode: 'cli', version: '1.0.0', launcher: fakeLauncher(answersInfo) });
    expect(await host.getEngineStatus()).toEqual({ state: 'starting' });
    const seen: EngineStatus['state'][] = [];
    host.on('engineStatus', (status) => seen.push(status.state));
    expect(await host.start()).toEqual({ state: 'ready', info: fakeEngineInfo });
    expect(await host.getEngineStatus()).toEqual({ state: 'ready', info: fakeEngineInfo });
    expect(seen).toEqual(['starting', 'ready']);
    host.dispose();
  });

  it('reports the trainer’s engine load error as the status', async () => {
    const launcher = fakeLauncher((message, reply) => {
      if (message.type === 'engineInfo') {
        reply({ type: 'failure', id: message.id, error: { code: 'E_ENGINE_LOAD', message: 'run `npm run build:native`' } });
      }
    });
    const host = createHost({ mode: 'cli', version: '1.0.0', launcher });
    expect(await host.start()).toEqual({ state: 'error', error: { code: 'E_ENGINE_LOAD', message: 'run `npm run build:native`' } });
    host.dispose();
  });

  it('reports a trainer that dies before saying hello, with its stderr', async () => {
    const launcher: TrainerLauncher = {
      description: 'dying trainer',
      launch() {
        const base = fakeLauncher(() => undefined, { hello: false, stderr: 'SyntaxError: boom' }).launch();
        base.kill();
        return base;
      },
    };
    const status = await createHost({ mode: 'cli', version: '1.0.0', launcher }).start();
    expect(status.state).toBe('error');
    if (status.state !== 'error') return;
    expect(status.error.code).toBe('E_TRAINER_EXIT');
    expect(status.error.message).toContain('SyntaxError: boom');
  });

  it('says to build when the trainer bundle is missing', async () => {
    const launcher = fakeLauncher(answersInfo);
    const status = await createHost({ mode: 'cli', version: '1.0.0', launcher, trainerEntry: '/nonexistent/trainer.mjs' }).start();
    expect(status).toMatchObject({ state: 'error', error: { code: 'E_TRAINER_START' } });
    if (status.state === 'error') expect(status.error.message).toContain('npm run build:js');
    expect(launcher.launches).toBe(0);
  });

  it('times out a trainer that never answers', async () => {
    const host = createHost({ mode: 'cli', version: '1.0.0', launcher: fakeLauncher(() => undefined), timeoutMs: 50 });
    expect(await host.start()).toMatchObject({ state: 'error', error: { code: 'E_TRAINER_TIMEOUT' } });
    host.dispose();
  });

  it('turns a crash after start into an error status, and restartEngine recovers', async () => {
    const crashers: ((exit: TrainerExit) => void)[] = [];
    const launcher = fakeLauncher((message, reply, exit) => {
      crashers.push(exit);
      answersInfo(message, reply, exit);
    });
    const host = createHost({ mode: 'browser', version: '1.0.0', launcher });
    await host.start();
    const errored = new Promise<EngineStatus>((resolve) => {
      const stop = host.on('engineStatus', (status) => {
        stop();
        resolve(status);
      });
    });
    crashers.at(-1)?.({ code: 134, signal: null });
    expect(await errored).toMatchObject({ state: 'error', error: { code: 'E_TRAINER_EXIT' } });
    expect(await host.restartEngine()).toEqual({ state: 'ready', info: fakeEngineInfo });
    expect(launcher.launches).toBe(2);
    host.dispose();
  });

  it('serves app info', async () => {
    const host = createHost({ mode: 'browser', version: '1.2.3', launcher: fakeLauncher(answersInfo) });
    expect(await host.getAppInfo()).toMatchObject({ name: 'Netwright', version: '1.2.3', mode: 'browser' });
  });
});

describe('host with the real trainer entry (child_process.fork, run from source with tsx)', () => {
  const paths = packagePaths();

  it('reports the native engine, or says to run npm run build:native', async () => {
    const host = createHost({
      mode: 'cli',
      version: '0.0.0',
      launcher: forkLauncher({ entry: paths.trainerSource, execArgv: ['--import', 'tsx'] }),
      timeoutMs: 20_000,
    });
    try {
      const status = await host.start();
      if (existsSync(paths.nativeAddon)) {
        const { engineInfo } = await import('../../native/ts/index');
        expect(status).toEqual({ state: 'ready', info: engineInfo() });
      } else {
        expect(status).toMatchObject({ state: 'error', error: { code: 'E_ENGINE_LOAD' } });
        if (status.state === 'error') expect(status.error.message).toContain('npm run build:native');
      }
    } finally {
      host.dispose();
    }
  });
});
