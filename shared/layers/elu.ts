// nn.ELU: x, or α(eˣ − 1) below zero.
import { activationSpec } from './activation-common';
import { floatParam } from './helpers';

export const elu = activationSpec({
  title: 'ELU',
  op: 'elu',
  summary: 'x, or α(eˣ − 1) below zero',
  formulaText: 'y = x if x > 0 else alpha * (exp(x) - 1)',
  example: 'act = nn.ELU(alpha=1.0)',
  params: [floatParam('alpha', 1, 'value the curve approaches for large negative x')],
  formula: (x, p) => (x > 0 ? x : p.float('alpha') * Math.expm1(x)),
});
