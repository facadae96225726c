// nn.Softplus: log(1 + eˣ), a smooth ReLU.
import { activationSpec } from './activation-common';
import { floatParam } from './helpers';

export const softplus = activationSpec({
  title: 'Softplus',
  op: 'softplus',
  summary: 'log(1 + eˣ), a smooth ReLU',
  formulaText: 'y = log(1 + exp(beta * x)) / beta, linear above threshold',
  example: 'act = nn.Softplus(beta=1, threshold=20)',
  params: [
    floatParam('beta', 1, 'sharpness', { min: 0, exclusiveMin: true }),
    floatParam('threshold', 20, 'above beta·x > threshold the output is x'),
  ],
  formula: (x, p) => {
    const beta = p.float('beta');
    return beta * x > p.float('threshold') ? x : Math.log1p(Math.exp(beta * x)) / beta;
  },
});
