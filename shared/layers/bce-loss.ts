// nn.BCELoss: binary cross-entropy on probabilities (after Sigmoid).
import { lossSpec } from './loss-common';

export const bceLoss = lossSpec({
  title: 'BCELoss',
  op: 'binary_cross_entropy',
  summary: 'Binary cross-entropy on probabilities (after Sigmoid)',
  doc: 'Binary cross-entropy between probabilities in (0, 1) and float targets in {0, 1}. Put a Sigmoid before it, or use BCEWithLogitsLoss on logits (more stable).',
  example: 'loss = nn.BCELoss()(torch.sigmoid(logit), y.float())',
  target: 'same-shape',
  emptyTensors: 1,
});
