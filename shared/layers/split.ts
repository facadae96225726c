// Split: cuts a tensor into 2–4 pieces of given sizes along a dim (torch.split).
import { fail, formatShape, input, intParam, intsParam, isStatic, layerError, ok, out, port, wrapDim } from './helpers';
import { step, type LayerSpec, type ParamSpec, type TensorInfo } from './spec';

const params: readonly ParamSpec[] = [
  intsParam('sizes', [1, 1], [2, 4], 'size of each piece; they must add up to the dim', { min: 1 }),
  intParam('dim', 1, 'dim to split'),
];
const outputNames = ['out0', 'out1', 'out2', 'out3'] as const;

export const split: LayerSpec = {
  id: 'op.Split',
  version: 1,
  category: 'merge',
  title: 'Split',
  summary: 'Cuts a tensor into pieces along a dim (torch.split)',
  doc: `Splits the input along \`dim\` into pieces of \`sizes\` (2 to 4 pieces → outputs out0…out3).

PyTorch: \`torch.split(x, [sizes…], dim=1)\`.

\`\`\`python
mean, log_var = torch.split(h, [16, 16], dim=1)
\`\`\``,
  defaultName: 'split',
  params,
  inputs: [port('input', [2, 6], 'float', 'any tensor')],
  outputs: outputNames.map((name, index) => out(name, `piece ${index} (exists when sizes has ${index + 1} entries)`)),
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const dim = wrapDim(p.int('dim'), x.shape.length);
    const sizes = p.ints('sizes');
    const total = sizes.reduce((a, b) => a + b, 0);
    if (dim === null) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Split: dim=${p.int('dim')} is out of range for rank ${x.shape.length}; use 1.`, { kind: 'set-param', param: 'dim', value: 1 }));
    }
    const size = x.shape[dim] ?? 0;
    if (!isStatic(size) || size !== total) {
      return fail(layerError('E_SHAPE_MISMATCH', 'input', `Split: sizes ${formatShape(sizes)} add up to ${total} but the input ${formatShape(x.shape)} has ${size} in dim ${dim}; make them add up to ${size}.`, isStatic(size) && size >= 2 ? { kind: 'set-param', param: 'sizes', value: [size - Math.floor(size / 2), Math.floor(size / 2)] } : undefined));
    }
    const outputs: Record<string, TensorInfo> = {};
    sizes.forEach((piece, index) => {
      outputs[outputNames[index] ?? 'out0'] = { shape: x.shape.map((value, axis) => (axis === dim ? piece : value)), kind: x.kind };
    });
    return ok(outputs);
  },
  weights: () => [],
  lower: (c) => [
    step('split', c.module, [c.inputs['input'] ?? ''], [], c.params.ints('sizes').map((_, index) => c.outputs[outputNames[index] ?? 'out0'] ?? ''), {
      sizes: c.params.ints('sizes'),
      dim: c.params.int('dim'),
    }),
  ],
  torch: { kind: 'function', expression: (inputs, p) => `torch.split(${inputs['input'] ?? 'x'}, [${p.ints('sizes').join(', ')}], dim=${p.int('dim')})` },
};
