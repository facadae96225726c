// Input node for sequences of feature vectors [N, T, F].
import { intParam, ok } from './helpers';
import { inputSpec, sequenceDim } from './input-factory';

export const inputSequence = inputSpec({
  id: 'input.SequenceFeatures',
  title: 'Sequence input',
  summary: 'Sequences of feature vectors [N, T, F], for RNN/LSTM/GRU',
  doc: `A batch of sequences of feature vectors, shape \`[N, seq_len, features]\` (float, batch first).

PyTorch: \`x = torch.randn(3, 5, 100)\` — 3 sentences of 5 words, each a 100-dim vector.
(PyTorch's RNNs default to \`[seq_len, batch, features]\`; the canvas keeps batch first and sets \`batch_first=True\`.)`,
  defaultName: 'x',
  params: [
    intParam('seq_len', null, 'steps per sequence; empty for variable length', { min: 1, nullable: true, notTorch: true }),
    intParam('features', 1, 'features per step', { min: 1, notTorch: true }),
  ],
  infer: (params) => ok({ out: { shape: ['N', sequenceDim(params), params.int('features')], kind: 'float' } }),
});
