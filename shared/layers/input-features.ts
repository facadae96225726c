// Input node for tabular data: a batch of feature vectors [N, F].
import { intParam, ok } from './helpers';
import { inputSpec } from './input-factory';

export const inputFeatures = inputSpec({
  id: 'input.Features',
  title: 'Features input',
  summary: 'Tabular data: a batch of feature vectors [N, F]',
  doc: `A batch of feature vectors, shape \`[N, features]\` (float).

PyTorch: the \`x\` your DataLoader yields, e.g. \`x = torch.rand(8, 1) * 20\` for the noisy \`y = 2x + 3\` regression.`,
  defaultName: 'x',
  params: [intParam('features', 1, 'number of features per sample', { min: 1, notTorch: true })],
  infer: (params) => ok({ out: { shape: ['N', params.int('features')], kind: 'float' } }),
});
