// nn.LeakyReLU: x, or slope · x below zero.
import { activationSpec } from './activation-common';
import { floatParam } from './helpers';

export const leakyRelu = activationSpec({
  title: 'LeakyReLU',
  op: 'leaky_relu',
  summary: 'x, or slope · x below zero',
  formulaText: 'y = x if x > 0 else negative_slope * x',
  example: 'act = nn.LeakyReLU(0.2)',
  params: [floatParam('negative_slope', 0.01, 'slope for x < 0')],
  formula: (x, p) => (x > 0 ? x : p.float('negative_slope') * x),
});
