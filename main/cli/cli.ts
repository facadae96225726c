// Headless CLI (dist/main/cli.mjs, bin/netwright.cjs): commands that run the same host as the app.
import { parseArgs } from 'node:util';
import { createHost, forkLauncher, packagePaths, packageVersion } from '../host';
import { formatStatus } from './format';
import { exportCommand, importCommand } from './interop';
import { evalCommand, predictCommand, trainCommand, UsageError } from './train';

const usage = `Usage: netwright <command> [options]

Commands:
  info [--json]   start the trainer, load the native engine and print what it reports
  train <project.json> [--epochs N] [--device D] [--out DIR] [--max-steps N] [--json]
                  train the project's model on its dataset; progress bar, one line per epoch,
                  checkpoints (DIR/checkpoints/last.mdl) every epoch and on stop (Ctrl-C)
  eval <project.json> --weights <file> [--device D] [--json]
                  loss, accuracy and confusion matrix on the test set (else the validation split)
  predict <project.json> --weights <file> --input <x.npy> --output <y.npy> [--device D] [--json]
                  run the model on a .npy batch and write its output as .npy (no dataset or loss needed)
                  weights (eval, predict): .mdl/.pt/.pth (a state_dict or a resume checkpoint), .safetensors
                  --device (train, eval, predict): auto, cpu, cuda or cuda:N; default the project's setting
  export <project.json> [--weights <file>] --to <path>
                  .mdl (torch.save format), .py (model.py + train.py beside it), .safetensors;
                  weights from --weights (.mdl, .pt, .safetensors) or freshly initialised
  import <project.json> <checkpoint> [--strict] [--json]
                  match a checkpoint's state_dict against the graph and print the per-key report
  version         print the Netwright version
  help            print this help

Exit codes: 0 ok, 1 engine or run error, 2 usage error.`;

async function info(json: boolean): Promise<number> {
  const paths = packagePaths();
  const host = createHost({
    mode: 'cli',
    version: packageVersion(paths.root),
    launcher: forkLauncher({ entry: paths.trainerEntry }),
    trainerEntry: paths.trainerEntry,
  });
  try {
    const status = await host.start();
    console.log(json ? JSON.stringify(status, null, 2) : formatStatus(status));
    return status.state === 'ready' ? 0 : 1;
  } finally {
    host.dispose();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, strict: true });
      return info(values.json === true);
    }
    case 'train':
      return trainCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'predict':
      return predictCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'import':
      return importCommand(rest);
    case 'version':
      console.log(packageVersion());
      return 0;
    case undefined:
    case 'help':
    case '--help':
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // One line: usage problems exit 2, anything the run/data/engine reports (with its code) exits 1.
    const message = error instanceof Error ? error.message : String(error);
    const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : null;
    const usage = error instanceof UsageError || (code !== null && code.startsWith('ERR_PARSE_ARGS'));
    console.error(usage ? `error: ${message.split('\n')[0]}` : `${code ?? 'error'}: ${message.split('\n')[0]}`);
    process.exit(usage ? 2 : 1);
  },
);
