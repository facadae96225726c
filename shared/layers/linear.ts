// nn.Linear: y = x Wᵀ + b over the last dim.
import { boolParam, checkDerived, fail, input, intParam, kaimingWeight, lastDim, ok, out, port, torchModule, uniformFanIn } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('in_features', null, 'size of each input sample (from the input shape)', { min: 1, derived: true }),
  intParam('out_features', 10, 'size of each output sample', { min: 1 }),
  boolParam('bias', true, 'learn an additive bias'),
];

export const linear: LayerSpec = {
  id: 'nn.Linear',
  version: 1,
  category: 'linear',
  title: 'Linear',
  summary: 'Fully connected layer: y = x·Wᵀ + b',
  doc: `Applies \`y = x Wᵀ + b\` to the last dimension: \`[*, in_features] → [*, out_features]\`.

PyTorch: \`nn.Linear(in_features, out_features, bias=True)\`.

\`\`\`python
fc1 = nn.Linear(16 * 5 * 5, 120)   # LeNet's first fully connected layer
\`\`\`
Weights: \`weight [out_features, in_features]\` (kaiming_uniform, a=√5), \`bias [out_features]\` (U(±1/√in_features)).`,
  defaultName: 'fc',
  params,
  inputs: [port('input', [2, 3], 'float', 'features [N, in_features] or a sequence [N, T, in_features]; flatten images first')],
  outputs: [out('out', '[*, out_features]')],
  derive: (inputs) => {
    const info = inputs['input'];
    const size = info === undefined ? undefined : lastDim(info.shape);
    return typeof size === 'number' ? { in_features: size } : {};
  },
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const error = checkDerived('input', p, 'in_features', lastDim(x.shape), x.shape, 'Linear');
    if (error) return fail(error);
    return ok({ out: { shape: [...x.shape.slice(0, -1), p.int('out_features')], kind: 'float' } });
  },
  weights(p) {
    const inFeatures = p.int('in_features');
    const outFeatures = p.int('out_features');
    const weights = [kaimingWeight('weight', [outFeatures, inFeatures], inFeatures)];
    if (p.bool('bias')) weights.push(uniformFanIn('bias', [outFeatures], inFeatures));
    return weights;
  },
  lower: (c) => [step('linear', c.module, [c.inputs['input'] ?? ''], [c.tensor('weight'), c.tensor('bias')], [c.outputs['out'] ?? ''])],
  torch: torchModule('nn.Linear', params, ['in_features', 'out_features']),
};
