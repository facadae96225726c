// nn.Sigmoid: 1 / (1 + e^-x), squashes to (0, 1).
import { activationSpec } from './activation-common';

export const sigmoid = activationSpec({
  title: 'Sigmoid',
  op: 'sigmoid',
  summary: '1 / (1 + e^-x), squashes to (0, 1)',
  formulaText: 'y = 1 / (1 + exp(-x))',
  example: 'prob = torch.sigmoid(logit)',
  formula: (x) => 1 / (1 + Math.exp(-x)),
});
