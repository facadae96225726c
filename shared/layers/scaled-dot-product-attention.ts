// F.scaled_dot_product_attention: softmax(Q Kᵀ / √d) V without learned weights.
import { boolParam, fail, floatParam, formatShape, input, layerError, ok, out, port } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  boolParam('is_causal', false, 'mask future positions (a decoder / language model)'),
  floatParam('dropout_p', 0, 'dropout on the attention weights while training', { min: 0, max: 1, exclusiveMax: true }),
];

export const scaledDotProductAttention: LayerSpec = {
  id: 'F.scaled_dot_product_attention',
  version: 1,
  category: 'attention',
  title: 'ScaledDotProductAttention',
  summary: 'softmax(Q·Kᵀ/√d)·V, optionally causal; no weights',
  doc: `Computes \`softmax(Q Kᵀ / √d) V\` over the last two dims: \`q [N, …, L, d]\`, \`k [N, …, S, d]\`, \`v [N, …, S, dv]\` → \`[N, …, L, dv]\`.

PyTorch (2.0+): \`F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, is_causal=False)\`.

\`\`\`python
y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
\`\`\``,
  defaultName: 'sdpa',
  params,
  inputs: [port('query', [3, 4], 'float', '[N, (heads,) L, d]'), port('key', [3, 4], 'float', '[N, (heads,) S, d]'), port('value', [3, 4], 'float', '[N, (heads,) S, dv]')],
  outputs: [out('out', '[N, (heads,) L, dv]')],
  inferShape(inputs) {
    const query = input(inputs, 'query');
    const key = input(inputs, 'key');
    const value = input(inputs, 'value');
    if (key.shape.length !== query.shape.length || key.shape.at(-1) !== query.shape.at(-1)) {
      return fail(layerError('E_SHAPE_MISMATCH', 'key', `Attention: key ${formatShape(key.shape)} must have the query's rank and last dim (query ${formatShape(query.shape)}).`));
    }
    if (value.shape.length !== query.shape.length || value.shape.at(-2) !== key.shape.at(-2)) {
      return fail(layerError('E_SHAPE_MISMATCH', 'value', `Attention: value ${formatShape(value.shape)} must have as many positions as key ${formatShape(key.shape)}.`));
    }
    return ok({ out: { shape: [...query.shape.slice(0, -1), value.shape.at(-1) ?? 1], kind: 'float' } });
  },
  weights: () => [],
  lower: (c) => [
    step('scaled_dot_product_attention', c.module, [c.inputs['query'] ?? '', c.inputs['key'] ?? '', c.inputs['value'] ?? ''], [], [c.outputs['out'] ?? ''], {
      is_causal: c.params.bool('is_causal'),
      dropout_p: c.params.float('dropout_p'),
      training: true,
    }),
  ],
  torch: {
    kind: 'function',
    expression: (inputs, p) =>
      `F.scaled_dot_product_attention(${inputs['query'] ?? 'q'}, ${inputs['key'] ?? 'k'}, ${inputs['value'] ?? 'v'}${p.float('dropout_p') ? `, dropout_p=${p.float('dropout_p')}` : ''}${p.bool('is_causal') ? ', is_causal=True' : ''})`,
  },
};
