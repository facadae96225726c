// `netwright export|import`: moving models to and from PyTorch. export writes .mdl (torch.save format), model.py +
// train.py, .safetensors or .onnx (opset 17); import matches a checkpoint's state_dict against the project's graph and prints the
// per-key report. Files are parsed in this (unprivileged CLI) process by shared/formats, which never executes them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileGraph } from '../../shared/compile/index';
import { exportProjectOnnx, exportPyTorch, formatImportReport, matchStateDict, ONNX_OPSET } from '../../shared/export/index';
import { concatChunks, stateDictValue, writeMdl, writeSafetensors, type TensorData } from '../../shared/formats/index';
import { parseProject, type Project } from '../../shared/graph/index';
import { readWeightsFile } from '../trainer/checkpoint';
import { native, nativeModel } from '../trainer/engine';
import { UsageError } from './train';

function loadProject(path: string | undefined, command: string): Project {
  if (path === undefined) throw new UsageError(`${command} needs a project file: netwright ${command} <project.json> …`);
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch {
    throw new UsageError(`cannot read project file ${resolve(path)}`);
  }
  return parseProject(text).project;
}

/** The weights to export: --weights (any format), else a fresh model initialised from the project's seed. */
async function exportWeights(project: Project, weightsPath: string | undefined): Promise<[string, TensorData][]> {
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss });
  if (!compiled.ok) throw new UsageError(`the graph does not compile: ${compiled.errors[0]?.message ?? ''}`);
  const plan = compiled.plan;
  if (weightsPath !== undefined) {
    const state = readWeightsFile(resolve(weightsPath));
    const report = matchStateDict(plan, state);
    if (!report.loadable.strict) {
      throw Object.assign(new Error(`${weightsPath} does not fit the project's graph:\n${formatImportReport(report).filter((l) => !l.startsWith('  matched')).join('\n')}`), { code: 'E_CHECKPOINT' });
    }
    return plan.tensors.map((t) => [t.key, state.get(t.key)!]);
  }
  const nw = await native();
  const { Model } = await nativeModel();
  nw.manualSeed(project.training.seed);
  const model = new Model(plan);
  try {
    return [...model.stateDict()].map(([key, t]) => {
      const data = t.data();
      return [key, { dtype: t.dtype as TensorData['dtype'], shape: [...t.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() }];
    });
  } finally {
    model.dispose();
  }
}

/** The graph inputs an ONNX runtime must be fed, as `name [shape]`. */
function inputNames(project: Project): string {
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss });
  if (!compiled.ok) return '?';
  return compiled.plan.inputs.map((input) => `${input.name} [${input.shape.map((d, i) => d ?? (i === 0 ? 'N' : 'T')).join(', ')}]`).join(', ');
}

function write(path: string, chunks: readonly Uint8Array[] | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof chunks === 'string' ? chunks : concatChunks(chunks));
}

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { weights: { type: 'string' }, to: { type: 'string' } } });
  const project = loadProject(positionals[0], 'export');
  const to = values.to;
  if (to === undefined) throw new UsageError('export needs --to <path> (.mdl, .py, .safetensors or .onnx)');
  const target = resolve(to);
  switch (extname(target)) {
    case '.mdl':
    case '.pt':
    case '.pth':
      write(target, writeMdl(stateDictValue(await exportWeights(project, values.weights))));
      console.log(`wrote ${target} (torch.save format; torch.load(path, weights_only=True) reads it)`);
      return 0;
    case '.safetensors':
      write(target, writeSafetensors(await exportWeights(project, values.weights), { format: 'pt' }));
      console.log(`wrote ${target}`);
      return 0;
    case '.py': {
      const exported = exportPyTorch(project);
      const moduleName = basename(target, '.py');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName)) throw new UsageError(`${basename(target)} must be a Python module name (letters, digits, _)`);
      const trainPath = join(dirname(target), moduleName === 'train' ? 'train_model.py' : 'train.py');
      write(target, exported.modelPy);
      write(trainPath, exported.trainPy.replace('\nfrom model import ', `\nfrom ${moduleName} import `));
      console.log(`wrote ${target} and ${trainPath}`);
      if (values.weights !== undefined) {
        const weights = join(dirname(target), `${moduleName}.mdl`);
        write(weights, writeMdl(stateDictValue(await exportWeights(project, values.weights))));
        console.log(`wrote ${weights}`);
      }
      return 0;
    }
    case '.onnx':
      write(target, exportProjectOnnx(project, new Map(await exportWeights(project, values.weights))));
      console.log(`wrote ${target} (ONNX opset ${ONNX_OPSET}, dynamic batch; inputs ${inputNames(project)})`);
      return 0;
    default:
      throw new UsageError(`--to ${to}: the extension picks the format; use .mdl, .py, .safetensors or .onnx`);
  }
}

export function importCommand(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { strict: { type: 'boolean' }, json: { type: 'boolean' } } });
  const project = loadProject(positionals[0], 'import');
  const checkpoint = positionals[1];
  if (checkpoint === undefined) throw new UsageError('import needs a checkpoint: netwright import <project.json> <checkpoint.mdl|.pt|.safetensors> [--strict]');
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss });
  if (!compiled.ok) throw new UsageError(`the graph does not compile: ${compiled.errors[0]?.message ?? ''}`);
  const report = matchStateDict(compiled.plan, readWeightsFile(resolve(checkpoint)));
  const strict = values.strict === true;
  const ok = strict ? report.loadable.strict : report.loadable.nonStrict;
  if (values.json === true) console.log(JSON.stringify({ ...report, strict, ok }, null, 2));
  else {
    console.log(formatImportReport(report).join('\n'));
    console.log(ok ? `loadable (${strict ? 'strict' : 'non-strict'})` : `not loadable (${strict ? 'strict' : 'non-strict'}): fix the keys above${strict ? ' or drop --strict' : ''}`);
  }
  return ok ? 0 : 1;
}
