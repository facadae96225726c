// Trainer process entry: answers the host's typed requests; the native engine is loaded here and only here.
import { HostToTrainerSchema, toErrorInfo } from '../../shared/api';
import { connectToHost } from './channel';
import { readEngineInfo } from './engine';

const host = connectToHost();

host.onMessage((raw) => {
  const parsed = HostToTrainerSchema.safeParse(raw);
  if (!parsed.success) {
    console.error(`[trainer] ignoring malformed host message: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'engineInfo':
      readEngineInfo().then(
        (info) => host.send({ type: 'result', id: message.id, info }),
        (error: unknown) => host.send({ type: 'failure', id: message.id, error: toErrorInfo(error) }),
      );
      return;
    case 'shutdown':
      process.exit(0);
  }
});

// The host going away means nobody will ever ask us anything again.
host.onDisconnect(() => process.exit(0));

host.send({ type: 'hello', pid: process.pid });
