// nn.MSELoss: mean squared error, for regression.
import { lossSpec } from './loss-common';

export const mseLoss = lossSpec({
  title: 'MSELoss',
  op: 'mse_loss',
  summary: 'Mean squared error (regression)',
  doc: 'Mean of `(input - target)²`. The loss for regression, such as fitting `y = 2x + 3`.',
  example: 'criterion = nn.MSELoss()\nloss = criterion(net(x), y)',
  target: 'same-shape',
});
