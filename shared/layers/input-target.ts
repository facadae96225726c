// Target input: the labels a loss compares predictions with (class indices or float values).
import { enumParam, intsParam, ok } from './helpers';
import { inputSpec } from './input-factory';

export const inputTarget = inputSpec({
  id: 'input.Target',
  title: 'Target',
  summary: 'Labels for a loss: class indices (int64) or float values',
  doc: `The labels the loss compares predictions with.

- \`class-index\`: int64 class indices, shape \`[N]\` — what \`nn.CrossEntropyLoss\` and \`nn.NLLLoss\` need.
- \`float\`: real values, e.g. \`[N, 1]\` for \`nn.MSELoss\` regression on \`y = 2x + 3\`.

\`shape\` is the per-sample shape (without N); \`-1\` marks the sequence dim T (a language model's target is \`[N, T]\`).

PyTorch: the labels your DataLoader yields beside \`x\`: \`for x, y in loader: loss = criterion(net(x), y)\`.`,
  defaultName: 'target',
  params: [
    enumParam('dtype', ['class-index', 'float'], 'class-index', 'class indices (int64) or float values', { notTorch: true }),
    intsParam('shape', [], [0, 4], 'per-sample shape without the batch dim; -1 is the sequence dim', { min: -1, notTorch: true }),
  ],
  infer: (params) =>
    ok({
      out: {
        shape: ['N', ...params.ints('shape').map((dim) => (dim === -1 ? 'T' : dim))],
        kind: params.string('dtype') === 'class-index' ? 'index' : 'float',
      },
    }),
});
