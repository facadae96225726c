// nn.L1Loss: mean absolute error.
import { lossSpec } from './loss-common';

export const l1Loss = lossSpec({
  title: 'L1Loss',
  op: 'l1_loss',
  summary: 'Mean absolute error (robust regression)',
  doc: 'Mean of `|input - target|`; less sensitive to outliers than MSELoss.',
  example: 'loss = nn.L1Loss()(pred, y)',
  target: 'same-shape',
});
