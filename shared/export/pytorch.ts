// PyTorch code export: model.py (an nn.Module whose state_dict keys equal the Plan's tensor keys; groups become
// submodules; a graph.root "sequential" model subclasses nn.Sequential; build_model(), example_inputs(), build_loss()) and train.py (the project's training settings, runnable
// alone or under torchrun with DistributedDataParallel). Everything is read from the layer specs' `torch` entries.
import { compileGraph, valueName } from '../compile/index';
import type { GraphAnalysis, NodeAnalysis } from '../graph/analyze';
import type { GraphGroup, Project } from '../graph/schema';
import { ParamReader } from '../layers/spec';
import type { Plan } from '../api/plan';

export class ExportError extends Error {
  readonly code = 'E_EXPORT';
}

export interface PyTorchExport {
  readonly modelPy: string;
  readonly trainPy: string;
  readonly plan: Plan;
}

/** Sequence dims (symbolic, not the batch) get this length in example_inputs(). */
export const EXAMPLE_SEQUENCE_LENGTH = 8;
export const EXAMPLE_BATCH = 2;

interface Container {
  readonly path: string;
  readonly kind: 'root' | 'sequential' | 'module';
  readonly className: string;
  /** local name → a child container or a module constructor expression */
  readonly children: Map<string, Container | string>;
}

const pascal = (name: string): string => name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/^[^A-Za-z_]/, '_$&');
const pyString = (text: string): string => JSON.stringify(text);

function indent(lines: readonly string[], by: string): string[] {
  return lines.map((line) => (line ? by + line : line));
}

/** The graph's module tree: every module-style node at its path, group containers in between. */
function moduleTree(project: Project, analysis: GraphAnalysis, projectClass: string): { root: Container; containers: Map<string, Container> } {
  const groupPaths = new Map<string, GraphGroup>();
  const byId = new Map(project.graph.groups.map((g) => [g.id, g]));
  for (const group of project.graph.groups) {
    const names: string[] = [];
    let current: GraphGroup | undefined = group;
    while (current !== undefined) {
      names.unshift(current.name);
      current = current.parent === undefined ? undefined : byId.get(current.parent);
    }
    groupPaths.set(names.join('.'), group);
  }
  const root: Container = { path: '', kind: 'root', className: projectClass, children: new Map() };
  const containers = new Map<string, Container>([['', root]]);
  const containerAt = (path: string): Container => {
    const existing = containers.get(path);
    if (existing !== undefined) return existing;
    const dot = path.lastIndexOf('.');
    const parent = containerAt(dot < 0 ? '' : path.slice(0, dot));
    const local = path.slice(dot + 1);
    const group = groupPaths.get(path);
    const container: Container = {
      path,
      kind: group?.kind === 'sequential' ? 'sequential' : 'module',
      className: group?.className ?? pascal(local),
      children: new Map(),
    };
    parent.children.set(local, container);
    containers.set(path, container);
    return container;
  };
  for (const id of analysis.order) {
    const node = analysis.nodes.get(id);
    const path = analysis.paths.get(id);
    if (node === undefined || path === undefined || node.spec.torch.kind !== 'module' || node.spec.category === 'loss') continue;
    const dot = path.lastIndexOf('.');
    const parent = containerAt(dot < 0 ? '' : path.slice(0, dot));
    parent.children.set(path.slice(dot + 1), `${node.spec.torch.module}(${node.spec.torch.args(new ParamReader(node.params))})`);
  }
  return { root, containers };
}

/** Python source constructing a container's children (for __init__ or an nn.Sequential). */
function constructor(container: Container, expression: (child: Container) => string): string[] {
  if (container.kind === 'sequential') {
    const entries = [...container.children];
    const contiguous = entries.every(([name], index) => name === String(index));
    const items = entries.map(([name, child]) => {
      const value = typeof child === 'string' ? child : expression(child);
      return contiguous ? `${value},` : `(${pyString(name)}, ${value}),`;
    });
    return contiguous ? ['nn.Sequential(', ...indent(items, '    '), ')'] : ['nn.Sequential(OrderedDict([', ...indent(items, '    '), ']))'];
  }
  return [`${container.className}()`];
}

function classSource(container: Container, all: Map<string, Container>, rootExtra: { forward: string[]; signature: string }): string[] {
  const lines: string[] = [];
  const init: string[] = [];
  const inline = (child: Container): string => constructor(child, inline).join('\n');
  for (const [name, child] of container.children) {
    const value = typeof child === 'string' ? child : constructor(child, inline).join('\n');
    const [first, ...rest] = value.split('\n');
    init.push(`self.${name} = ${first ?? ''}`, ...rest);
  }
  lines.push(`class ${container.className}(nn.Module):`);
  lines.push(...indent([`def __init__(self):`, '    super().__init__()', ...indent(init.length ? init : ['pass'], '    ')], '    '));
  if (container.kind === 'root') {
    lines.push('', ...indent([`def forward(self, ${rootExtra.signature}):`, ...indent(rootExtra.forward, '    ')], '    '));
  }
  void all;
  return lines;
}

/** The root class of a model that is an nn.Sequential (analysis allows no groups in it, so children are modules). */
function sequentialRootSource(root: Container): string[] {
  const entries = [...root.children].map(([name, child]) => [name, typeof child === 'string' ? child : `${child.className}()`] as const);
  const contiguous = entries.every(([name], index) => name === String(index));
  const items = entries.map(([name, value]) => (contiguous ? `${value},` : `(${pyString(name)}, ${value}),`));
  const body = entries.length === 0 ? ['super().__init__()'] : contiguous ? ['super().__init__(', ...indent(items, '    '), ')'] : ['super().__init__(OrderedDict([', ...indent(items, '    '), ']))'];
  return [
    `class ${root.className}(nn.Sequential):`,
    '    """nn.Sequential: each layer feeds the next; state_dict keys are the layer indices (0.weight, 0.bias, …)."""',
    '',
    ...indent(['def __init__(self):', ...indent(body, '    ')], '    '),
  ];
}

function pythonDtype(dtype: string): string {
  return { float32: 'torch.float32', float64: 'torch.float64', int64: 'torch.int64', int32: 'torch.int32', uint8: 'torch.uint8', bool: 'torch.bool' }[dtype] ?? 'torch.float32';
}

/** Attribute access for a module path: self.net[0].conv, self.fc1. */
function moduleAccess(path: string, containers: Map<string, Container>): string {
  const parts = path.split('.');
  let expression = 'self';
  let prefix = '';
  for (const part of parts) {
    const container = containers.get(prefix);
    if (container?.kind === 'sequential') {
      const position = [...container.children.keys()].indexOf(part);
      expression += `[${position}]`;
    } else {
      expression += `.${part}`;
    }
    prefix = prefix ? `${prefix}.${part}` : part;
  }
  return expression;
}

const varName = (value: string): string => `v_${value.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function exportPyTorch(project: Project): PyTorchExport {
  // A model without a loss node exports too (inference, or weights from a checkpoint); build_loss() is then None.
  const compiled = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss, requireLoss: false });
  if (!compiled.ok) throw new ExportError(`the graph does not compile: ${compiled.errors.map((e) => e.message).join('; ')}`);
  const { plan, analysis } = compiled;
  const className = pascal(project.name.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()) || 'Net';
  const safeClass = /^[A-Za-z_]/.test(className) ? className : `Net${className}`;
  const { root, containers } = moduleTree(project, analysis, safeClass);

  // Forward: one statement per node in topological order.
  const valueOf = new Map<string, Record<string, string>>();
  for (const edge of analysis.edges.values()) {
    const source = analysis.nodes.get(edge.source.node);
    const path = analysis.paths.get(edge.source.node) ?? edge.source.node;
    const inputs = valueOf.get(edge.target.node) ?? {};
    inputs[edge.target.port] = varName(valueName(path, source?.spec.outputs.length ?? 1, edge.source.port));
    valueOf.set(edge.target.node, inputs);
  }
  const forward: string[] = [];
  let lossNode: NodeAnalysis | null = null;
  let lossInput = '';
  for (const id of analysis.order) {
    const node = analysis.nodes.get(id);
    const path = analysis.paths.get(id) ?? id;
    if (node === undefined) continue;
    const { spec } = node;
    const inputs = valueOf.get(id) ?? {};
    const outputs = spec.outputs.map((port) => varName(valueName(path, spec.outputs.length, port.name)));
    if (spec.category === 'input') continue;
    if (spec.category === 'loss') {
      if (id === analysis.lossNode) {
        lossNode = node;
        lossInput = inputs['input'] ?? '';
      }
      continue;
    }
    const params = new ParamReader(node.params);
    const torch = spec.torch;
    if (torch.kind === 'module') {
      const call = moduleAccess(path, containers);
      if (spec.id === 'nn.LSTM') {
        const state = inputs['h0'] ? `, (${inputs['h0']}, ${inputs['c0'] ?? ''})` : '';
        forward.push(`${outputs[0]}, (${outputs[1]}, ${outputs[2]}) = ${call}(${inputs['input']}${state})`);
      } else if (spec.id === 'nn.RNN' || spec.id === 'nn.GRU') {
        forward.push(`${outputs[0]}, ${outputs[1]} = ${call}(${inputs['input']}${inputs['h0'] ? `, ${inputs['h0']}` : ''})`);
      } else {
        const args = spec.inputs.filter((port) => inputs[port.name]).map((port) => inputs[port.name]);
        forward.push(`${outputs.join(', ')} = ${call}(${args.join(', ')})`);
      }
    } else if (torch.kind === 'function') {
      forward.push(`${outputs.join(', ')} = ${torch.expression(inputs, params)}`);
    }
  }
  const returned = plan.outputs.map(varName);
  forward.push(`return ${returned.length === 1 ? returned[0] : `(${returned.join(', ')})`}`);
  const signature = plan.inputs.map((input) => varName(input.name)).join(', ');
  // The graph-input variables are the forward's parameters.
  const lossOutput = lossInput ? returned.indexOf(lossInput) : 0;

  // example_inputs: batch 2, sequence dims EXAMPLE_SEQUENCE_LENGTH; index inputs below their Embedding's size.
  const indexHigh = (inputName: string): number => {
    for (const id of analysis.order) {
      const node = analysis.nodes.get(id);
      if (node?.spec.id !== 'nn.Embedding') continue;
      if (Object.values(valueOf.get(id) ?? {}).includes(varName(inputName))) return new ParamReader(node.params).int('num_embeddings');
    }
    return 2;
  };
  const exampleLines = plan.inputs.map((input, index) => {
    const shape = input.shape.map((dim, k) => (dim === null ? (k === 0 ? EXAMPLE_BATCH : EXAMPLE_SEQUENCE_LENGTH) : dim));
    if (input.dtype === 'int64') return `torch.randint(0, ${indexHigh(input.name)}, (${shape.join(', ')},), generator=g)`;
    void index;
    return `torch.randn(${shape.join(', ')}, generator=g, dtype=${pythonDtype(input.dtype)})`;
  });

  const containerClasses = [...containers.values()].filter((c) => c.kind === 'module').reverse();
  const classes: string[] = [];
  for (const container of containerClasses) classes.push(...classSource(container, containers, { forward: [], signature: '' }), '', '');
  // A model that is itself an nn.Sequential (graph.root) subclasses it: keys 0.weight, 2.bias…, and nn.Sequential's own
  // forward, which analysis has checked is the graph's (one chain from the one input).
  if (project.graph.root?.kind === 'sequential') classes.push(...sequentialRootSource(root));
  else classes.push(...classSource(root, containers, { forward, signature }));

  const lossExpression = lossNode !== null && lossNode.spec.torch.kind === 'module' ? `${lossNode.spec.torch.module}(${lossNode.spec.torch.args(new ParamReader(lossNode.params))})` : 'None';
  const inputShapes = plan.inputs.map((i) => `(${i.shape.slice(1).map((d) => (d === null ? 'None' : String(d))).join(', ')}${i.shape.length === 2 ? ',' : ''})`);
  const targetShapes = plan.targets.map((t) => `(${t.shape.slice(1).map((d) => (d === null ? 'None' : String(d))).join(', ')}${t.shape.length === 2 ? ',' : ''})`);
  const modelPy = [
    `"""${project.name}: generated by Netwright from the project graph.`,
    '',
    'state_dict keys equal the Netwright model\'s, so `.mdl` files (torch.save format) load with',
    '`model.load_state_dict(torch.load(path, weights_only=True))`.',
    '"""',
    'from collections import OrderedDict',
    '',
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    `DTYPE = ${pythonDtype(plan.dtype)}`,
    '# per-sample shapes of the inputs and targets (None: any length)',
    `INPUT_SHAPES = [${inputShapes.join(', ')}]`,
    `INPUT_DTYPES = [${plan.inputs.map((i) => pythonDtype(i.dtype)).join(', ')}]`,
    `TARGET_SHAPES = [${targetShapes.join(', ')}]`,
    `TARGET_DTYPES = [${plan.targets.map((t) => pythonDtype(t.dtype)).join(', ')}]`,
    '# which forward() output the loss is computed on',
    `LOSS_OUTPUT = ${Math.max(lossOutput, 0)}`,
    '',
    '',
    ...classes,
    '',
    '',
    'def build_model():',
    `    """A fresh ${safeClass} in the project's dtype (PyTorch's default initialisation)."""`,
    `    return ${safeClass}().to(DTYPE)`,
    '',
    '',
    'def build_loss():',
    `    return ${lossExpression}`,
    '',
    '',
    'def example_inputs(seed=0):',
    `    """A tuple of inputs of the model's shapes, batch ${EXAMPLE_BATCH} (for tracing, ONNX export, tests)."""`,
    '    g = torch.Generator().manual_seed(seed)',
    `    return (${exampleLines.join(', ')}${exampleLines.length === 1 ? ',' : ''})`,
    '',
  ].join('\n');
  return { modelPy, trainPy: trainScript(project, plan), plan };
}

function trainScript(project: Project, plan: Plan): string {
  const t = project.training;
  const settings = {
    dataset: t.dataset, optimizer: t.optimizer, schedule: t.schedule, epochs: t.epochs, batch_size: t.batchSize, shuffle: t.shuffle, workers: t.workers,
    seed: t.seed, gradient_clipping: t.gradientClipping, device: t.device, dtype: t.dtype, early_stopping: t.earlyStopping ?? null,
    input_names: plan.inputs.map((i) => i.name), target_names: plan.targets.map((i) => i.name),
  };
  return TRAIN_TEMPLATE.replace('__NAME__', project.name).replace('__SETTINGS__', JSON.stringify(settings, null, 4));
}

const TRAIN_TEMPLATE = String.raw`"""Training script for __NAME__, generated by Netwright with the project's settings.

Runs alone (python train.py) or on several processes/machines with DistributedDataParallel:
    torchrun --nproc_per_node=N train.py        (gloo on CPU, nccl on GPU)
(PyTorch 1.13 on Python 3.11: add --redirects 2 --tee 1 to torchrun; its default "0" hits a torch bug there.)
Checkpoints are written every epoch as .mdl (torch.save format): OUT/epoch-<k>.mdl and OUT/last.mdl.
"""
import argparse
import gzip
import json
import math
import os
import struct

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from model import INPUT_DTYPES, INPUT_SHAPES, LOSS_OUTPUT, TARGET_DTYPES, TARGET_SHAPES, build_loss, build_model

SETTINGS = json.loads(r'''__SETTINGS__''')


# ---- datasets ---------------------------------------------------------------------------------

def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    dtype_code, ndim = data[2], data[3]
    shape = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    if dtype_code != 0x08:
        raise ValueError(f'{path}: only uint8 IDX files are read here')
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def idx_pair(folder, prefix):
    for ext in ('-ubyte.gz', '-ubyte'):
        images = os.path.join(folder, f'{prefix}-images-idx3{ext}')
        if os.path.exists(images):
            return read_idx(images).float() / 255, read_idx(os.path.join(folder, f'{prefix}-labels-idx1{ext}')).long()
    raise FileNotFoundError(f'no {prefix}-images-idx3-ubyte(.gz) in {folder}')


def synthetic(name, options, seed):
    g = torch.Generator().manual_seed(seed)
    n = int(options.get('samples', 1000))
    if name == 'linear':
        x = torch.rand(n, 1, generator=g) * float(options.get('xMax', 20))
        y = float(options.get('slope', 2)) * x + float(options.get('intercept', 3)) + float(options.get('noise', 1)) * torch.randn(n, 1, generator=g)
        return x, y
    if name == 'two-moons':
        outer = n // 2
        noise = float(options.get('noise', 0.1))
        t1 = torch.linspace(0, math.pi, outer)
        t2 = torch.linspace(0, math.pi, n - outer)
        x = torch.cat([torch.stack([t1.cos(), t1.sin()], 1), torch.stack([1 - t2.cos(), 0.5 - t2.sin()], 1)])
        x = x + noise * torch.randn(n, 2, generator=g)
        return x, torch.cat([torch.zeros(outer), torch.ones(n - outer)]).long()
    if name == 'spirals':
        classes = int(options.get('classes', 3))
        per = int(options.get('samples', 300 * classes)) // classes
        r = torch.linspace(0, 1, per).repeat(classes)
        c = torch.arange(classes).repeat_interleave(per)
        t = c * 4 + 4 * r + float(options.get('noise', 0.2)) * torch.randn(per * classes, generator=g)
        return torch.stack([r * t.sin(), r * t.cos()], 1), c
    if name == 'sine':
        steps = int(options.get('seqLen', 20))
        freq = 0.1 + 0.4 * torch.rand(n, 1, generator=g)
        phase = 2 * math.pi * torch.rand(n, 1, generator=g)
        t = torch.arange(steps).float()
        x = (freq * t + phase).sin() + float(options.get('noise', 0)) * torch.randn(n, steps, generator=g)
        return x.unsqueeze(-1), (freq * steps + phase).sin()
    if name == 'token-parity':
        vocab, steps = int(options.get('vocab', 100)), int(options.get('seqLen', 16))
        x = torch.randint(0, vocab, (n, steps), generator=g)
        return x, ((x < vocab / 2).sum(1) % 2).long()
    if name == 'sequence-classes':
        # per class and feature a frequency; each sample a random phase and amplitude, plus noise
        n = int(options.get('samples', 2000))
        classes, features = int(options.get('classes', 4)), int(options.get('features', 8))
        steps, noise = int(options.get('length', 20)), float(options.get('noise', 0.3))
        freqs = 0.15 + 0.85 * torch.rand(classes, features, generator=g)
        c = torch.arange(n) % classes
        phase = 2 * math.pi * torch.rand(n, 1, 1, generator=g)
        amp = 0.75 + 0.5 * torch.rand(n, 1, 1, generator=g)
        t = torch.arange(steps).float().view(1, steps, 1)
        return amp * (freqs[c].unsqueeze(1) * t + phase).sin() + noise * torch.randn(n, steps, features, generator=g), c
    raise ValueError(f'synthetic dataset {name!r} is not reproduced by this script; export the data as CSV')


def load_csv(path, options):
    import csv
    with open(path, newline='') as f:
        rows = [row for row in csv.reader(f) if row]
    try:
        [float(v) for v in rows[0]]
    except ValueError:
        rows = rows[1:]
    label = int(options.get('labelColumn', -1))
    values = torch.tensor([[float(v) for v in row] for row in rows])
    y = values[:, label]
    x = torch.cat([values[:, :label], values[:, label + 1:]], 1) if label != -1 else values[:, :-1]
    return x, y


def load_images(folder, shape):
    from PIL import Image
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    xs, ys = [], []
    channels, height, width = shape
    for index, name in enumerate(classes):
        for file in sorted(os.listdir(os.path.join(folder, name))):
            image = Image.open(os.path.join(folder, name, file)).convert('L' if channels == 1 else 'RGB').resize((width, height), Image.BILINEAR)
            data = torch.tensor(list(image.getdata()), dtype=torch.float32) / 255
            xs.append(data.reshape(height, width, channels).permute(2, 0, 1))
            ys.append(index)
    return torch.stack(xs), torch.tensor(ys)


def load_text(path, steps):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text])
    count = (len(ids) - 1) // steps
    x = ids[:count * steps].reshape(count, steps)
    y = ids[1:count * steps + 1].reshape(count, steps)
    return x, y


def load_dataset(data_dir):
    ref = SETTINGS['dataset']
    name, options = ref['name'], ref['options']
    if ref['source'] == 'synthetic':
        x, y = synthetic(name, options, SETTINGS['seed'])
    elif ref['source'] == 'builtin' and name in ('fashion-mnist', 'mnist'):
        x, y = idx_pair(data_dir or os.environ.get('NW_' + name.upper().replace('-', '_'), f'/usr/share/datasets/{name}'), 'train')
    else:
        path = data_dir or name
        if os.path.isdir(path):
            x, y = load_images(path, INPUT_SHAPES[0])
        elif path.endswith('.csv'):
            x, y = load_csv(path, options)
        elif path.endswith('.txt'):
            x, y = load_text(path, int(options.get('seqLen', INPUT_SHAPES[0][0] or 64)))
        else:
            raise ValueError(f'cannot load dataset {path!r}; pass --data with an IDX folder, CSV, image folder or .txt')
    # fit the model's per-sample shapes and dtypes
    shape = tuple(d if d is not None else -1 for d in INPUT_SHAPES[0])
    x = x.reshape(len(x), *shape).to(INPUT_DTYPES[0])
    if TARGET_SHAPES:
        target = tuple(d if d is not None else -1 for d in TARGET_SHAPES[0])
        y = y.reshape(len(y), *target).to(TARGET_DTYPES[0]) if target else y.reshape(len(y)).to(TARGET_DTYPES[0])
    return TensorDataset(x, y)


# ---- training ---------------------------------------------------------------------------------

def make_optimizer(params):
    o = dict(SETTINGS['optimizer'])
    kind = o.pop('kind')
    if kind == 'sgd':
        return torch.optim.SGD(params, **o)
    if kind == 'adam':
        return torch.optim.Adam(params, **o)
    if kind == 'adamw':
        return torch.optim.AdamW(params, **o)
    if kind == 'rmsprop':
        return torch.optim.RMSprop(params, **o)
    raise ValueError(kind)


def make_schedule(optimizer):
    s = dict(SETTINGS['schedule'])
    kind = s.pop('kind')
    if kind == 'constant':
        return None
    if kind == 'step':
        return torch.optim.lr_scheduler.StepLR(optimizer, **s)
    if kind == 'exponential':
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, **s)
    if kind == 'cosine':
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, **s)
    if kind == 'reduce-on-plateau':
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', threshold_mode='rel', **s)
    raise ValueError(kind)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--epochs', type=int, default=SETTINGS['epochs'])
    parser.add_argument('--max-steps', type=int, default=None, help='stop each epoch after this many steps (smoke tests)')
    parser.add_argument('--data', default=None, help='dataset folder/file (overrides the project\'s)')
    parser.add_argument('--out', default='checkpoints')
    args = parser.parse_args()

    distributed = int(os.environ.get('WORLD_SIZE', '1')) > 1
    use_cuda = torch.cuda.is_available() and SETTINGS['device'] != 'cpu'
    rank = 0
    if distributed:
        dist.init_process_group('nccl' if use_cuda else 'gloo')
        rank = dist.get_rank()
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    device = torch.device(f'cuda:{local_rank}' if use_cuda else 'cpu')
    torch.manual_seed(SETTINGS['seed'])

    dataset = load_dataset(args.data)
    sampler = DistributedSampler(dataset, shuffle=SETTINGS['shuffle'], seed=SETTINGS['seed']) if distributed else None
    loader = DataLoader(dataset, batch_size=SETTINGS['batch_size'], shuffle=SETTINGS['shuffle'] and sampler is None, sampler=sampler,
                        num_workers=SETTINGS['workers'], generator=torch.Generator().manual_seed(SETTINGS['seed']))
    model = build_model().to(device)
    if distributed:
        model = nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None)
    criterion = build_loss()
    if criterion is None:
        raise SystemExit('the project has no loss node: add one (and a Target) in Netwright, then export again')
    optimizer = make_optimizer(model.parameters())
    schedule = make_schedule(optimizer)
    clip = SETTINGS['gradient_clipping']
    os.makedirs(args.out, exist_ok=True)
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        total, count = 0.0, 0
        for step, (x, y) in enumerate(loader):
            if args.max_steps is not None and step >= args.max_steps:
                break
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            out = model(x)
            if isinstance(out, tuple):
                out = out[LOSS_OUTPUT]
            loss = criterion(out, y)
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip['maxNorm'], clip['normType'])
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
        mean = total / max(count, 1)
        if schedule is not None:
            schedule.step(mean) if isinstance(schedule, torch.optim.lr_scheduler.ReduceLROnPlateau) else schedule.step()
        if rank == 0:
            state = (model.module if distributed else model).state_dict()
            torch.save(state, os.path.join(args.out, f'epoch-{epoch + 1}.mdl'))
            torch.save(state, os.path.join(args.out, 'last.mdl'))
            print(json.dumps({'epoch': epoch + 1, 'loss': mean, 'samples': count, 'world_size': dist.get_world_size() if distributed else 1}), flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
`;
