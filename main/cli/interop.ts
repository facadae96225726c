// `netwright export|import`: moving models to and from PyTorch. export writes .mdl (torch.save format), model.py +
// train.py, .safetensors or .onnx (opset 17); import matches a checkpoint's state_dict against the project's graph and prints the
// per-key report. Files are parsed in this (unprivileged CLI) process by shared/formats, which never executes them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileGraph } from '../../shared/compile/index';
import { ApiError } from '../../shared/api';
import { formatImportReport, matchStateDict } from '../../shared/export/index';
import { parseProject, type Project } from '../../shared/graph/index';
import { readWeightsFile } from '../trainer/checkpoint';
import { exportModel } from '../trainer/export';
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

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { weights: { type: 'string' }, to: { type: 'string' } } });
  const project = loadProject(positionals[0], 'export');
  const to = values.to;
  if (to === undefined) throw new UsageError('export needs --to <path> (.mdl, .py, .safetensors or .onnx)');
  try {
    const result = await exportModel(project, { to, weightsPath: values.weights });
    for (const note of result.notes) console.log(note);
    return 0;
  } catch (error: unknown) {
    // A target the command line got wrong is a usage error (exit 2), as before.
    if (error instanceof ApiError && error.code === 'E_BAD_REQUEST') throw new UsageError(error.message.startsWith(to) ? `--to ${error.message}` : error.message);
    throw error;
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
