// nn.ReLU: max(0, x).
import { activationSpec } from './activation-common';

export const relu = activationSpec({
  title: 'ReLU',
  op: 'relu',
  summary: 'max(0, x)',
  formulaText: 'y = max(0, x)',
  example: 'x = F.relu(self.conv1(x))',
  formula: (x) => Math.max(0, x),
});
