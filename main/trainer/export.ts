// Exporting a project to PyTorch's and ONNX's file formats, by the target's extension: .mdl/.pt/.pth (torch.save),
// .py (model.py + train.py beside it), .safetensors, .onnx (opset 17). Used by the CLI's `export` and by the trainer
// process's `exportModel` (the Api call); it loads the engine only to initialise a fresh model when no weights are given.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ApiError } from '../../shared/api';
import { compileGraph } from '../../shared/compile/index';
import { exportProjectOnnx, exportPyTorch, formatImportReport, matchStateDict, ONNX_OPSET } from '../../shared/export/index';
import { concatChunks, stateDictValue, writeMdl, writeSafetensors, type TensorData } from '../../shared/formats/index';
import type { Project } from '../../shared/graph/index';
import { readWeightsFile } from './checkpoint';
import { native, nativeModel } from './engine';

/** The extensions exportModel understands (the extension picks the format). */
export const exportExtensions = ['.mdl', '.pt', '.pth', '.py', '.safetensors', '.onnx'] as const;

/** The weights to export: weightsPath (any format), else a fresh model initialised from the project's seed. */
async function exportWeights(project: Project, weightsPath: string | undefined): Promise<[string, TensorData][]> {
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss, requireLoss: false });
  if (!compiled.ok) throw new ApiError('E_PROJECT_INVALID', `the graph does not compile: ${compiled.errors[0]?.message ?? ''}`);
  const plan = compiled.plan;
  if (weightsPath !== undefined) {
    const state = readWeightsFile(resolve(weightsPath));
    const report = matchStateDict(plan, state);
    if (!report.loadable.strict) {
      throw new ApiError('E_CHECKPOINT', `${weightsPath} does not fit the project's graph:\n${formatImportReport(report).filter((l) => !l.startsWith('  matched')).join('\n')}`);
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
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss, requireLoss: false });
  if (!compiled.ok) return '?';
  return compiled.plan.inputs.map((input) => `${input.name} [${input.shape.map((d, i) => d ?? (i === 0 ? 'N' : 'T')).join(', ')}]`).join(', ');
}

function write(path: string, chunks: readonly Uint8Array[] | string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof chunks === 'string' ? chunks : concatChunks(chunks));
  } catch (error: unknown) {
    throw new ApiError('E_FILE_IO', `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface ExportResult {
  /** absolute paths of the files written, in order */
  files: string[];
  /** one line per file for a person (what it is, how to load it) */
  notes: string[];
}

/**
 * Writes the project (and weights) to `to`, the format chosen by its extension. Bad targets are E_BAD_REQUEST;
 * weights that do not fit the graph strictly are E_CHECKPOINT.
 */
export async function exportModel(project: Project, options: { to: string; weightsPath?: string | undefined }): Promise<ExportResult> {
  const target = resolve(options.to);
  const files: string[] = [];
  const notes: string[] = [];
  const out = (path: string, chunks: readonly Uint8Array[] | string, note: string): void => {
    write(path, chunks);
    files.push(path);
    notes.push(note);
  };
  switch (extname(target)) {
    case '.mdl':
    case '.pt':
    case '.pth':
      out(target, writeMdl(stateDictValue(await exportWeights(project, options.weightsPath))), `wrote ${target} (torch.save format; torch.load(path, weights_only=True) reads it)`);
      break;
    case '.safetensors':
      out(target, writeSafetensors(await exportWeights(project, options.weightsPath), { format: 'pt' }), `wrote ${target}`);
      break;
    case '.py': {
      const exported = exportPyTorch(project);
      const moduleName = basename(target, '.py');
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName)) throw new ApiError('E_BAD_REQUEST', `${basename(target)} must be a Python module name (letters, digits, _)`);
      const trainPath = join(dirname(target), moduleName === 'train' ? 'train_model.py' : 'train.py');
      write(target, exported.modelPy);
      write(trainPath, exported.trainPy.replace('\nfrom model import ', `\nfrom ${moduleName} import `));
      files.push(target, trainPath);
      notes.push(`wrote ${target} and ${trainPath}`);
      if (options.weightsPath !== undefined) {
        const weights = join(dirname(target), `${moduleName}.mdl`);
        out(weights, writeMdl(stateDictValue(await exportWeights(project, options.weightsPath))), `wrote ${weights}`);
      }
      break;
    }
    case '.onnx':
      out(target, exportProjectOnnx(project, new Map(await exportWeights(project, options.weightsPath))), `wrote ${target} (ONNX opset ${ONNX_OPSET}, dynamic batch; inputs ${inputNames(project)})`);
      break;
    default:
      throw new ApiError('E_BAD_REQUEST', `${options.to}: the extension picks the format; use .mdl, .py, .safetensors or .onnx`);
  }
  return { files, notes };
}
