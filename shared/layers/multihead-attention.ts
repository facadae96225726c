// nn.MultiheadAttention: self- or cross-attention with learned projections, split into heads.
import { boolParam, checkDerived, constantWeight, fail, floatParam, formatShape, input, intParam, kaimingWeight, layerError, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec, type WeightSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('embed_dim', null, 'model dim E (from the query shape)', { min: 1, derived: true }),
  intParam('num_heads', 1, 'parallel heads; must divide embed_dim', { min: 1 }),
  floatParam('dropout', 0, 'dropout on the attention weights', { min: 0, max: 1, exclusiveMax: true }),
  boolParam('bias', true, 'learn in_proj_bias and out_proj.bias'),
  boolParam('batch_first', true, 'inputs are [N, L, E] (PyTorch defaults to [L, N, E])', { torchDefault: false }),
];

export const multiheadAttention: LayerSpec = {
  id: 'nn.MultiheadAttention',
  version: 1,
  category: 'attention',
  title: 'MultiheadAttention',
  summary: 'Attention with learned Q/K/V projections and several heads',
  doc: `softmax(Q Kᵀ / √d) V per head, with learned input and output projections. Connect the same tensor to query, key and value for self-attention.

PyTorch: \`nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False)\`; returns \`(attn_output, attn_weights)\`.

\`\`\`python
attn = nn.MultiheadAttention(64, 4, batch_first=True)
y, w = attn(x, x, x)   # y [N, L, 64], w [N, L, L] (averaged over heads)
\`\`\`
state_dict: \`in_proj_weight [3E, E]\` (xavier_uniform), \`in_proj_bias\` (zeros), \`out_proj.weight\`, \`out_proj.bias\` (zeros).`,
  defaultName: 'attn',
  params,
  inputs: [port('query', 3, 'float', '[N, L, E]'), port('key', 3, 'float', '[N, S, E]'), port('value', 3, 'float', '[N, S, E]')],
  outputs: [out('output', '[N, L, E]'), out('weights', '[N, L, S], averaged over heads')],
  derive: (inputs) => {
    const size = inputs['query']?.shape[2];
    return typeof size === 'number' ? { embed_dim: size } : {};
  },
  inferShape(inputs, p) {
    const query = input(inputs, 'query');
    const key = input(inputs, 'key');
    const value = input(inputs, 'value');
    const derivedError = checkDerived('query', p, 'embed_dim', query.shape[2] ?? 1, query.shape, 'MultiheadAttention');
    if (derivedError) return fail(derivedError);
    const embed = p.int('embed_dim');
    if (embed % p.int('num_heads') !== 0) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `MultiheadAttention: embed_dim=${embed} is not divisible by num_heads=${p.int('num_heads')}; pick a divisor.`, { kind: 'set-param', param: 'num_heads', value: 1 }));
    }
    for (const [name, info] of [['key', key], ['value', value]] as const) {
      if (info.shape[2] !== embed) {
        return fail(layerError('E_SHAPE_MISMATCH', name, `MultiheadAttention: ${name} ${formatShape(info.shape)} must end in embed_dim=${embed} like the query ${formatShape(query.shape)}.`));
      }
    }
    if (key.shape[1] !== value.shape[1]) {
      return fail(layerError('E_SHAPE_MISMATCH', 'value', `MultiheadAttention: key ${formatShape(key.shape)} and value ${formatShape(value.shape)} need the same length.`));
    }
    const batchFirst = p.bool('batch_first');
    const [batch, length, source] = batchFirst ? [query.shape[0] ?? 'N', query.shape[1] ?? 'L', key.shape[1] ?? 'S'] : [query.shape[1] ?? 'N', query.shape[0] ?? 'L', key.shape[0] ?? 'S'];
    return ok({ output: { shape: query.shape, kind: 'float' }, weights: { shape: [batch, length, source], kind: 'float' } });
  },
  weights(p) {
    const embed = p.int('embed_dim');
    // NOTE: xavier_uniform_ on [3E, E]: bound = √(6 / (fan_in + fan_out)) = √(6 / 4E).
    const bound = Math.sqrt(6 / (4 * embed));
    const weights: WeightSpec[] = [{ name: 'in_proj_weight', shape: [3 * embed, embed], dtype: 'model', init: { kind: 'uniform', low: -bound, high: bound }, buffer: false }];
    if (p.bool('bias')) weights.push(constantWeight('in_proj_bias', [3 * embed], { kind: 'zeros' }));
    weights.push(kaimingWeight('out_proj.weight', [embed, embed], embed));
    if (p.bool('bias')) weights.push(constantWeight('out_proj.bias', [embed], { kind: 'zeros' }));
    return weights;
  },
  lower: (c) => [
    step(
      'multi_head_attention',
      c.module,
      [c.inputs['query'] ?? '', c.inputs['key'] ?? '', c.inputs['value'] ?? ''],
      ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'].map((name) => c.tensor(name)),
      [c.outputs['output'] ?? '', c.outputs['weights'] ?? ''],
      { embed_dim: c.params.int('embed_dim'), num_heads: c.params.int('num_heads'), dropout: c.params.float('dropout'), batch_first: c.params.bool('batch_first'), training: true },
    ),
  ],
  torch: torchModule('nn.MultiheadAttention', params, ['embed_dim', 'num_heads']),
};
