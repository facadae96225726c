// nn.SiLU: x · sigmoid(x) (swish).
import { activationSpec } from './activation-common';

export const silu = activationSpec({
  title: 'SiLU',
  op: 'silu',
  summary: 'x · sigmoid(x) (swish)',
  formulaText: 'y = x * sigmoid(x)',
  example: 'act = nn.SiLU()',
  formula: (x) => x / (1 + Math.exp(-x)),
});
