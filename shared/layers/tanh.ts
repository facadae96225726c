// nn.Tanh: tanh(x), squashes to (-1, 1).
import { activationSpec } from './activation-common';

export const tanh = activationSpec({
  title: 'Tanh',
  op: 'tanh',
  summary: 'tanh(x), squashes to (-1, 1)',
  formulaText: 'y = tanh(x)',
  example: 'h = torch.tanh(x)',
  formula: (x) => Math.tanh(x),
});
