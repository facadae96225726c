// nn.Embedding: looks up a learned vector for every token id.
import { fail, floatParam, input, intParam, layerError, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('num_embeddings', 10, 'vocabulary size (ids are 0…num_embeddings-1)', { min: 1 }),
  intParam('embedding_dim', 3, 'size of each vector', { min: 1 }),
  intParam('padding_idx', null, 'id whose vector stays zero and gets no gradient (the padding token)', { nullable: true }),
  floatParam('max_norm', null, 'renormalise looked-up vectors to at most this norm', { min: 0, exclusiveMin: true, nullable: true }),
];

export const embedding: LayerSpec = {
  id: 'nn.Embedding',
  version: 1,
  category: 'embedding',
  title: 'Embedding',
  summary: 'Token ids → learned vectors: [N, T] → [N, T, embedding_dim]',
  doc: `Maps int64 ids to rows of a learned table: \`[N, T] → [N, T, embedding_dim]\`.

PyTorch: \`nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None)\`.

\`\`\`python
embeds = nn.Embedding(num_embeddings=10, embedding_dim=20, padding_idx=3)
# sentences [2, 4, 5] and [1, 2, 7, 8, 9] padded with 3: [2, 4, 5, 3, 3]
\`\`\`
The row \`padding_idx\` starts at zero and never changes. \`weight\` is N(0, 1).`,
  defaultName: 'embedding',
  params,
  inputs: [port('input', [1, 3], 'index', 'int64 ids [N, T]')],
  outputs: [out('out', '[N, T, embedding_dim]')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const padding = p.intOrNull('padding_idx');
    const count = p.int('num_embeddings');
    if (padding !== null && (padding >= count || padding < -count)) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Embedding: padding_idx=${padding} must be within the ${count} embeddings; clear it or pick an id below ${count}.`, { kind: 'set-param', param: 'padding_idx', value: null }));
    }
    return ok({ out: { shape: [...x.shape, p.int('embedding_dim')], kind: 'float' } });
  },
  weights(p) {
    const count = p.int('num_embeddings');
    const padding = p.intOrNull('padding_idx');
    const weight = { name: 'weight', shape: [count, p.int('embedding_dim')], dtype: 'model', init: { kind: 'normal', mean: 0, std: 1 }, buffer: false } as const;
    return [padding === null ? weight : { ...weight, zeroRows: [padding < 0 ? padding + count : padding] }];
  },
  lower(c) {
    const padding = c.params.intOrNull('padding_idx');
    const count = c.params.int('num_embeddings');
    return [
      step('embedding', c.module, [c.inputs['input'] ?? ''], [c.tensor('weight')], [c.outputs['out'] ?? ''], {
        padding_idx: padding === null ? null : padding < 0 ? padding + count : padding,
        max_norm: c.params.values['max_norm'] === null ? null : c.params.float('max_norm'),
      }),
    ];
  },
  torch: torchModule('nn.Embedding', params, ['num_embeddings', 'embedding_dim']),
};
