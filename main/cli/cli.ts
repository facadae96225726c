// Headless CLI (dist/main/cli.mjs, bin/netwright.cjs): commands that run the same host as the app.
import { parseArgs } from 'node:util';
import { createHost, forkLauncher, packagePaths, packageVersion } from '../host';
import { formatStatus } from './format';

const usage = `Usage: netwright <command> [options]

Commands:
  info [--json]   start the trainer, load the native engine and print what it reports
  version         print the Netwright version
  help            print this help

Exit codes: 0 ok, 1 engine error, 2 usage error.`;

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
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
