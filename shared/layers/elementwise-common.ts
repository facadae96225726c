// Shared parts of Add and Multiply: two inputs broadcast like PyTorch.
import { broadcast, fail, formatShape, input, layerError, ok, out, port } from './helpers';
import { step, type LayerSpec } from './spec';

export function elementwiseSpec(title: 'Add' | 'Multiply', op: string, symbol: string, use: string): LayerSpec {
  return {
    id: `op.${title}`,
    version: 1,
    category: 'merge',
    title,
    summary: `a ${symbol} b, element-wise with broadcasting`,
    doc: `Computes \`a ${symbol} b\` element-wise; shapes broadcast as in PyTorch. ${use}

PyTorch: \`a ${symbol} b\`.

\`\`\`python
out = a ${symbol} b
\`\`\``,
    defaultName: title.toLowerCase(),
    params: [],
    inputs: [port('a', [1, 6], 'float', 'first tensor'), port('b', [1, 6], 'float', 'second tensor')],
    outputs: [out('out', 'the broadcast shape')],
    inferShape(inputs) {
      const a = input(inputs, 'a');
      const b = input(inputs, 'b');
      const shape = broadcast(a.shape, b.shape);
      if (shape === null) {
        return fail(layerError('E_SHAPE_MISMATCH', 'b', `${title}: ${formatShape(a.shape)} and ${formatShape(b.shape)} do not broadcast; make the sizes equal or 1 in every dim.`));
      }
      return ok({ out: { shape, kind: 'float' } });
    },
    weights: () => [],
    lower: (c) => [step(op, c.module, [c.inputs['a'] ?? '', c.inputs['b'] ?? ''], [], [c.outputs['out'] ?? ''])],
    torch: { kind: 'function', expression: (inputs) => `${inputs['a'] ?? 'a'} ${symbol} ${inputs['b'] ?? 'b'}` },
  };
}
