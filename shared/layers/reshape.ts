// Reshape: gives each sample a new shape with the same number of elements (x.reshape(N, …)).
import { fail, formatShape, input, intsParam, isStatic, layerError, ok, out, port, product } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [intsParam('shape', [1], [1, 5], 'new per-sample shape, without the batch dim', { min: 1 })];

export const reshape: LayerSpec = {
  id: 'op.Reshape',
  version: 1,
  category: 'shape',
  title: 'Reshape',
  summary: 'New per-sample shape with the same element count',
  doc: `Reshapes every sample, keeping the batch dim: \`[N, 784] → [N, 1, 28, 28]\` with shape \`(1, 28, 28)\`.

PyTorch: \`x.reshape(x.size(0), *shape)\` (or \`x.view(...)\`).

\`\`\`python
x = x.reshape(x.size(0), 1, 28, 28)
\`\`\``,
  defaultName: 'reshape',
  params,
  inputs: [port('input', [2, 6], 'float', 'any tensor with a batch dim')],
  outputs: [out('out', '[N, *shape]')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const target = p.ints('shape');
    const have = product(x.shape.slice(1));
    if (!isStatic(have)) {
      return fail(layerError('E_SHAPE_SYMBOLIC', 'input', `Reshape needs fixed per-sample sizes but its input is ${formatShape(x.shape)}; give the input node a fixed sequence length.`));
    }
    const want = target.reduce((a, b) => a * b, 1);
    if (want !== have) {
      return fail(layerError('E_SHAPE_MISMATCH', 'input', `Reshape to ${formatShape(['N', ...target])} needs ${want} elements per sample but the input ${formatShape(x.shape)} has ${have}; set shape to (${have}).`, { kind: 'set-param', param: 'shape', value: [have] }));
    }
    return ok({ out: { shape: [x.shape[0] ?? 'N', ...target], kind: x.kind } });
  },
  weights: () => [],
  lower: (c) => [step('reshape', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], { shape: [-1, ...c.params.ints('shape')] })],
  torch: { kind: 'function', expression: (inputs, p) => `${inputs['input'] ?? 'x'}.reshape(-1, ${p.ints('shape').join(', ')})` },
};
