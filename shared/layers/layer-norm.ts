// nn.LayerNorm: normalises over the trailing dims of each sample.
import { boolParam, constantWeight, fail, floatParam, formatShape, input, intsParam, layerError, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intsParam('normalized_shape', null, [1, 3], 'trailing dims to normalise over (from the input: its last dim)', { min: 1, derived: true }),
  floatParam('eps', 1e-5, 'added to the variance for stability', { min: 0, exclusiveMin: true }),
  boolParam('elementwise_affine', true, 'learn weight and bias of normalized_shape'),
];

export const layerNorm: LayerSpec = {
  id: 'nn.LayerNorm',
  version: 1,
  category: 'norm',
  title: 'LayerNorm',
  summary: 'Normalises each sample over its last dim(s)',
  doc: `Normalises over the trailing \`normalized_shape\` dims of every sample; shape unchanged.

PyTorch: \`nn.LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True)\`.

\`\`\`python
norm = nn.LayerNorm(64)   # over the embedding dim of [N, T, 64]
\`\`\``,
  defaultName: 'norm',
  params,
  inputs: [port('input', [2, 5], 'float', '[*, normalized_shape…]')],
  outputs: [out('out', 'same shape as the input')],
  derive: (inputs) => {
    const last = inputs['input']?.shape.at(-1);
    return typeof last === 'number' ? { normalized_shape: [last] } : {};
  },
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const normalized = p.ints('normalized_shape');
    const trailing = x.shape.slice(-normalized.length);
    if (normalized.length >= x.shape.length || trailing.some((dim, index) => dim !== normalized[index])) {
      const last = x.shape.at(-1);
      return fail(layerError('E_SHAPE_MISMATCH', 'input', `LayerNorm normalises over ${formatShape(normalized)} but its input is ${formatShape(x.shape)}; set normalized_shape to the input's trailing dims.`, typeof last === 'number' ? { kind: 'set-param', param: 'normalized_shape', value: [last] } : undefined));
    }
    return ok({ out: { shape: x.shape, kind: 'float' } });
  },
  weights: (p) =>
    p.bool('elementwise_affine')
      ? [constantWeight('weight', p.ints('normalized_shape'), { kind: 'ones' }), constantWeight('bias', p.ints('normalized_shape'), { kind: 'zeros' })]
      : [],
  lower: (c) => [
    step('layer_norm', c.module, [c.inputs['input'] ?? ''], [c.tensor('weight'), c.tensor('bias')], [c.outputs['out'] ?? ''], {
      normalized_shape: c.params.ints('normalized_shape'),
      eps: c.params.float('eps'),
    }),
  ],
  torch: torchModule('nn.LayerNorm', params, ['normalized_shape']),
};
