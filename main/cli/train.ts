// `netwright train|eval|predict`: training through the host (a trainer process per run, like the app), evaluation
// and prediction with saved weights in this process through main/trainer.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isFinalRunState, parseDeviceSetting, type RunInfo, type RunMetric } from '../../shared/api';
import { createHost, forkLauncher, packagePaths, packageVersion } from '../host';
import { evaluateProject, predictProject, type EvalReport } from '../trainer/inference';
import { readNpy, writeNpy } from '../trainer/npy';

/** A usage or input problem: one line on stderr, exit code 2. */
export class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * --device as training takes it (shared/api/devices.ts): auto, cpu, cuda or cuda:N, else a usage error saying what to
 * write; undefined keeps the project's setting. Whether the device exists and runs the model is the run's check.
 */
function deviceOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDeviceSetting(value);
  if (!parsed.ok) throw new UsageError(`--device: ${parsed.message}`);
  return parsed.setting;
}

function projectFile(path: string | undefined, command: string): { text: string; baseDir: string; path: string } {
  if (path === undefined) throw new UsageError(`${command} needs a project file: netwright ${command} <project.json>`);
  const full = resolve(path);
  try {
    return { text: readFileSync(full, 'utf8'), baseDir: dirname(full), path: full };
  } catch {
    throw new UsageError(`cannot read project file ${full}`);
  }
}

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(2)}%`);
const num = (v: number | null): string => (v === null ? '—' : v.toPrecision(4));

function bar(progress: number, width = 24): string {
  const filled = Math.round(Math.min(Math.max(progress, 0), 1) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      epochs: { type: 'string' }, device: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
      'max-steps': { type: 'string' }, 'runs-dir': { type: 'string' }, workers: { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`train takes one project file, got ${positionals.length}`);
  const project = projectFile(positionals[0], 'train');
  const epochs = positiveInt(values.epochs, '--epochs');
  const maxSteps = positiveInt(values['max-steps'], '--max-steps');
  const device = deviceOption(values.device);
  const json = values.json === true;
  const paths = packagePaths();
  const host = createHost({
    mode: 'cli', version: packageVersion(paths.root), launcher: forkLauncher({ entry: paths.trainerEntry }), trainerEntry: paths.trainerEntry,
    ...(values['runs-dir'] !== undefined ? { runsDir: values['runs-dir'] } : {}),
  });
  const tty = process.stderr.isTTY === true && !json;
  let lastLine = 0;
  const epochs_: RunMetric[] = [];
  let test: Extract<RunMetric, { kind: 'test' }> | null = null;
  let total = epochs ?? 0;
  try {
    const finished = new Promise<RunInfo>((resolveRun) => {
      host.on('runStatus', (info) => {
        total = info.epochs;
        if (isFinalRunState(info.state)) resolveRun(info);
      });
    });
    host.on('runMetrics', ({ metrics }) => {
      for (const m of metrics) {
        if (m.kind === 'step' && !json) {
          const now = Date.now();
          if (!tty && now - lastLine < 10_000) continue;
          lastLine = now;
          const line = `epoch ${m.epoch + 1}/${total} ${bar(m.progress)} ${(m.progress * 100).toFixed(0).padStart(3)}%  step ${m.step}  loss ${m.loss.toPrecision(4)}  ${m.samplesPerSec.toFixed(0)} samples/s  ETA ${duration(m.etaSec)}`;
          process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
        } else if (m.kind === 'epoch') {
          epochs_.push(m);
          if (!json) {
            if (tty) process.stderr.write('\r\x1b[K');
            console.log(`epoch ${m.epoch}/${total}  train loss ${num(m.trainLoss)} acc ${pct(m.trainAccuracy)}  val loss ${num(m.valLoss)} acc ${pct(m.valAccuracy)}  lr ${m.lr.toPrecision(3)}  ${m.seconds.toFixed(1)}s`);
          }
        } else if (m.kind === 'test') {
          test = m;
          if (!json) console.log(`test  loss ${num(m.loss)} acc ${pct(m.accuracy)}  (${m.count} samples)`);
        }
      }
    });
    const options = {
      ...(epochs !== undefined ? { epochs } : {}),
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      ...(device !== undefined ? { device } : {}),
    };
    const started = await host.startRun({ projectPath: project.path, ...(values.out !== undefined ? { outDir: values.out } : {}), options });
    const stopOnSignal = (): void => {
      process.stderr.write('\nstopping: saving a checkpoint (Ctrl-C again to abort)\n');
      process.removeListener('SIGINT', stopOnSignal);
      host.stopRun(started.id, { save: true }).catch(() => undefined);
    };
    process.on('SIGINT', stopOnSignal);
    const info = await finished;
    process.removeListener('SIGINT', stopOnSignal);
    if (tty) process.stderr.write('\r\x1b[K');
    if (json) {
      console.log(JSON.stringify({ run: info, epochs: epochs_, test }, null, 2));
    } else {
      console.log(`${info.state}${info.message ? `: ${info.message}` : ''}`);
      console.log(`run ${info.id} in ${info.dir}${info.lastCheckpoint ? `; weights ${info.lastCheckpoint}` : ''}`);
    }
    if (info.state === 'completed' || info.state === 'stopped') return 0;
    if (!json) console.error(`${info.error?.code ?? 'E_RUN'}: ${info.message ?? info.state}`);
    return 1;
  } finally {
    host.dispose();
  }
}

export function formatConfusion(report: EvalReport): string[] {
  const { confusion, classes } = report;
  if (confusion === null) return [];
  const names = classes ?? confusion.map((_, k) => String(k));
  const width = Math.max(5, ...names.map((n) => n.length), ...confusion.flat().map((v) => String(v).length)) + 1;
  const lines = ['confusion matrix (rows: true class, columns: predicted)', ' '.repeat(width) + names.map((n) => n.padStart(width)).join('')];
  confusion.forEach((row, k) => lines.push(names[k]!.padStart(width) + row.map((v) => String(v).padStart(width)).join('')));
  return lines;
}

export async function evalCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true, options: { weights: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } },
  });
  const project = projectFile(positionals[0], 'eval');
  if (values.weights === undefined) throw new UsageError('eval needs --weights <checkpoint.mdl> (written by netwright train)');
  const device = deviceOption(values.device);
  const report = await evaluateProject(project.text, project.baseDir, resolve(values.weights), device !== undefined ? { device } : {});
  if (values.json === true) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`${report.split} set: ${report.count} samples  loss ${num(report.loss)}  accuracy ${pct(report.accuracy)}  on ${report.device}`);
    for (const line of formatConfusion(report)) console.log(line);
  }
  return 0;
}

export async function predictCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { weights: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' } },
  });
  const project = projectFile(positionals[0], 'predict');
  if (values.weights === undefined) throw new UsageError('predict needs --weights <file> (.mdl, .pt, .pth or .safetensors)');
  if (values.input === undefined) throw new UsageError('predict needs --input <file.npy>');
  if (values.output === undefined) throw new UsageError('predict needs --output <file.npy>');
  const device = deviceOption(values.device);
  const input = readNpy(resolve(values.input));
  const out = await predictProject(project.text, resolve(values.weights), input, device !== undefined ? { device } : {});
  writeNpy(resolve(values.output), out);
  if (values.json === true) console.log(JSON.stringify({ input: input.shape, output: out.shape, file: resolve(values.output), device: out.device }));
  else console.log(`wrote ${resolve(values.output)}: shape (${out.shape.join(', ')}) float32 for ${input.shape[0] ?? 1} input(s) on ${out.device}`);
  return 0;
}
