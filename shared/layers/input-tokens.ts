// Input node for token ids: a batch of int64 sequences [N, T].
import { intParam, ok } from './helpers';
import { inputSpec, sequenceDim } from './input-factory';

export const inputTokens = inputSpec({
  id: 'input.Tokens',
  title: 'Token sequence input',
  summary: 'Token ids: int64 sequences [N, T], for Embedding',
  doc: `A batch of token-id sequences, shape \`[N, seq_len]\`, dtype int64. Feed it to an Embedding.

PyTorch: \`idx = torch.tensor([[2, 4, 5, 3, 3], [1, 2, 7, 8, 9]])\` (padded with 3).
Leave \`seq_len\` empty for variable-length batches (the dim is then the symbol T).`,
  defaultName: 'tokens',
  params: [intParam('seq_len', null, 'tokens per sequence; empty for variable length', { min: 1, nullable: true, notTorch: true })],
  infer: (params) => ok({ out: { shape: ['N', sequenceDim(params)], kind: 'index' } }),
});
