// nn.Flatten: merges a range of dims into one (images → feature vectors).
import { fail, input, intParam, layerError, ok, out, port, product, torchModule, wrapDim } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('start_dim', 1, 'first dim to flatten (1 keeps the batch dim)'),
  intParam('end_dim', -1, 'last dim to flatten'),
];

export const flatten: LayerSpec = {
  id: 'nn.Flatten',
  version: 1,
  category: 'shape',
  title: 'Flatten',
  summary: 'Merges dims into one: [N, C, H, W] → [N, C·H·W]',
  doc: `Flattens dims \`start_dim..end_dim\` into one: \`[N, 16, 5, 5] → [N, 400]\`.

PyTorch: \`nn.Flatten(start_dim=1, end_dim=-1)\`, the same as LeNet's \`x.view(-1, self.num_flat_features(x))\`.

\`\`\`python
x = nn.Flatten()(x)   # before the first nn.Linear
\`\`\``,
  defaultName: 'flatten',
  params,
  inputs: [port('input', [2, 6], 'float', 'any tensor with a batch dim')],
  outputs: [out('out', 'the flattened tensor')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const start = wrapDim(p.int('start_dim'), x.shape.length);
    const end = wrapDim(p.int('end_dim'), x.shape.length);
    if (start === null || end === null || start > end) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Flatten: start_dim=${p.int('start_dim')}, end_dim=${p.int('end_dim')} do not fit an input of rank ${x.shape.length}; use start_dim=1, end_dim=-1.`, { kind: 'set-param', param: 'start_dim', value: 1 }));
    }
    const shape = [...x.shape.slice(0, start), product(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)];
    return ok({ out: { shape, kind: x.kind } });
  },
  weights: () => [],
  lower: (c) =>
    [step('flatten', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], { start_dim: c.params.int('start_dim'), end_dim: c.params.int('end_dim') })],
  torch: torchModule('nn.Flatten', params),
};
