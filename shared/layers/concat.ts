// Concat: joins 2–4 tensors along a dim (torch.cat).
import { fail, formatShape, input, intParam, layerError, ok, out, port, wrapDim } from './helpers';
import { step, type Dim, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [intParam('dim', 1, 'dim to join along (1: features or channels)')];
const ports = ['a', 'b', 'c', 'd'] as const;

export const concat: LayerSpec = {
  id: 'op.Concat',
  version: 1,
  category: 'merge',
  title: 'Concat',
  summary: 'Joins tensors along a dim (torch.cat)',
  doc: `Concatenates its inputs (a, b, and optionally c, d) along \`dim\`; all other dims must match.

PyTorch: \`torch.cat([a, b], dim=1)\`.

\`\`\`python
x = torch.cat([branch1, branch2], dim=1)   # [N, 16, H, W] + [N, 8, H, W] → [N, 24, H, W]
\`\`\``,
  defaultName: 'cat',
  params,
  inputs: [
    port('a', [2, 6], 'float', 'first tensor'),
    port('b', [2, 6], 'float', 'second tensor'),
    port('c', [2, 6], 'float', 'optional third tensor', true),
    port('d', [2, 6], 'float', 'optional fourth tensor', true),
  ],
  outputs: [out('out', 'the joined tensor')],
  inferShape(inputs, p) {
    const first = input(inputs, 'a');
    const dim = wrapDim(p.int('dim'), first.shape.length);
    if (dim === null) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Concat: dim=${p.int('dim')} is out of range for rank ${first.shape.length}; use 1.`, { kind: 'set-param', param: 'dim', value: 1 }));
    }
    const joined: Dim[] = [];
    for (const name of ports) {
      const info = inputs[name];
      if (info === undefined) continue;
      const mismatch = info.shape.length !== first.shape.length || info.shape.some((size, index) => index !== dim && size !== first.shape[index]);
      if (mismatch) {
        return fail(layerError('E_SHAPE_MISMATCH', name, `Concat along dim ${dim}: input ${name} ${formatShape(info.shape)} does not match input a ${formatShape(first.shape)} outside dim ${dim}.`));
      }
      joined.push(info.shape[dim] ?? 0);
    }
    const total = joined.every((size) => typeof size === 'number') ? (joined as number[]).reduce((a, b) => a + b, 0) : joined.join('+');
    const shape = first.shape.map((size, index) => (index === dim ? total : size));
    return ok({ out: { shape, kind: first.kind } });
  },
  weights: () => [],
  lower: (c) => [step('cat', c.module, ports.map((name) => c.inputs[name] ?? '').filter((name) => name !== ''), [], [c.outputs['out'] ?? ''], { dim: c.params.int('dim') })],
  torch: {
    kind: 'function',
    expression: (inputs, p) => `torch.cat([${ports.flatMap((name) => (inputs[name] ? [inputs[name]] : [])).join(', ')}], dim=${p.int('dim')})`,
  },
};
