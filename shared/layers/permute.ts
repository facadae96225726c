// Permute: reorders dims (x.permute(…)), e.g. [N, T, C] → [N, C, T] for a loss over sequences.
import { fail, formatShape, input, intsParam, layerError, ok, out, port } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [intsParam('dims', [0, 2, 1], [2, 6], 'the new order of all dims, batch dim included', { min: 0 })];

export const permute: LayerSpec = {
  id: 'op.Permute',
  version: 1,
  category: 'shape',
  title: 'Permute',
  summary: 'Reorders dims: [N, T, C] → [N, C, T]',
  doc: `Reorders the dims; \`dims\` lists every dim, batch included.

PyTorch: \`x.permute(*dims)\`.

\`\`\`python
logits = logits.permute(0, 2, 1)   # [N, T, vocab] → [N, vocab, T] for nn.CrossEntropyLoss
\`\`\``,
  defaultName: 'permute',
  params,
  inputs: [port('input', [2, 6], 'float', 'any tensor')],
  outputs: [out('out', 'the permuted tensor')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const dims = p.ints('dims');
    const sorted = [...dims].sort((a, b) => a - b);
    if (dims.length !== x.shape.length || sorted.some((dim, index) => dim !== index)) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Permute: dims ${formatShape(dims)} must be an ordering of 0…${x.shape.length - 1} for input ${formatShape(x.shape)}.`, { kind: 'set-param', param: 'dims', value: x.shape.map((_, index) => index) }));
    }
    return ok({ out: { shape: dims.map((dim) => x.shape[dim] ?? 1), kind: x.kind } });
  },
  weights: () => [],
  lower: (c) => [step('permute', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], { dims: c.params.ints('dims') })],
  torch: { kind: 'function', expression: (inputs, p) => `${inputs['input'] ?? 'x'}.permute(${p.ints('dims').join(', ')})` },
};
