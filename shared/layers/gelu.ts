// nn.GELU: x · Φ(x), used in transformers.
import { activationSpec } from './activation-common';
import { enumParam } from './helpers';

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough for plotting. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}

export const gelu = activationSpec({
  title: 'GELU',
  op: 'gelu',
  summary: 'x · Φ(x), used in transformers',
  formulaText: 'y = x * Phi(x) (tanh approximation when approximate="tanh")',
  example: 'act = nn.GELU()',
  params: [enumParam('approximate', ['none', 'tanh'], 'none', 'exact erf form or the tanh approximation')],
  formula: (x, p) =>
    p.string('approximate') === 'tanh'
      ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
      : 0.5 * x * (1 + erf(x / Math.SQRT2)),
});
