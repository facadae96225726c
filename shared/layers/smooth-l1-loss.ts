// nn.SmoothL1Loss: squared error near zero, absolute error beyond beta (Huber-like).
import { floatParam } from './helpers';
import { lossSpec } from './loss-common';

export const smoothL1Loss = lossSpec({
  title: 'SmoothL1Loss',
  op: 'smooth_l1_loss',
  summary: 'Squared error below beta, absolute error above',
  doc: 'Uses `0.5·d²/beta` where `|d| < beta` and `|d| - 0.5·beta` elsewhere.',
  example: 'loss = nn.SmoothL1Loss(beta=1.0)(pred, y)',
  target: 'same-shape',
  params: [floatParam('beta', 1, 'where the loss switches from squared to absolute', { min: 0 })],
});
