// nn.BCEWithLogitsLoss: sigmoid + binary cross-entropy in one stable step.
import { lossSpec } from './loss-common';

export const bceWithLogitsLoss = lossSpec({
  title: 'BCEWithLogitsLoss',
  op: 'binary_cross_entropy_with_logits',
  summary: 'Binary cross-entropy on logits (sigmoid built in)',
  doc: 'Sigmoid and binary cross-entropy fused, numerically stable. Targets are floats in {0, 1} with the logits\' shape, e.g. `[N, 1]`.',
  example: 'loss = nn.BCEWithLogitsLoss()(logit, y.float())   # logit [N, 1], y [N, 1]',
  target: 'same-shape',
  emptyTensors: 2,
});
