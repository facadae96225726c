// nn.GroupNorm: normalises groups of channels per sample.
import { boolParam, checkDerived, constantWeight, fail, floatParam, input, intParam, layerError, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('num_groups', 1, 'groups to split the channels into', { min: 1 }),
  intParam('num_channels', null, 'channels C (from the input shape)', { min: 1, derived: true }),
  floatParam('eps', 1e-5, 'added to the variance for stability', { min: 0, exclusiveMin: true }),
  boolParam('affine', true, 'learn per-channel weight and bias'),
];

export const groupNorm: LayerSpec = {
  id: 'nn.GroupNorm',
  version: 1,
  category: 'norm',
  title: 'GroupNorm',
  summary: 'Normalises groups of channels, independent of batch size',
  doc: `Splits the C channels into \`num_groups\` groups and normalises each per sample; shape unchanged.

PyTorch: \`nn.GroupNorm(num_groups, num_channels, eps=1e-05, affine=True)\`.

\`\`\`python
gn = nn.GroupNorm(4, 32)
\`\`\``,
  defaultName: 'norm',
  params,
  inputs: [port('input', [2, 5], 'float', '[N, C, *]')],
  outputs: [out('out', 'same shape as the input')],
  derive: (inputs) => {
    const channels = inputs['input']?.shape[1];
    return typeof channels === 'number' ? { num_channels: channels } : {};
  },
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const error = checkDerived('input', p, 'num_channels', x.shape[1] ?? 1, x.shape, 'GroupNorm');
    if (error) return fail(error);
    if (p.int('num_channels') % p.int('num_groups') !== 0) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `GroupNorm: num_channels=${p.int('num_channels')} is not divisible by num_groups=${p.int('num_groups')}; pick a divisor.`, { kind: 'set-param', param: 'num_groups', value: 1 }));
    }
    return ok({ out: { shape: x.shape, kind: 'float' } });
  },
  weights: (p) =>
    p.bool('affine')
      ? [constantWeight('weight', [p.int('num_channels')], { kind: 'ones' }), constantWeight('bias', [p.int('num_channels')], { kind: 'zeros' })]
      : [],
  lower: (c) => [
    step('group_norm', c.module, [c.inputs['input'] ?? ''], [c.tensor('weight'), c.tensor('bias')], [c.outputs['out'] ?? ''], {
      num_groups: c.params.int('num_groups'),
      eps: c.params.float('eps'),
    }),
  ],
  torch: torchModule('nn.GroupNorm', params, ['num_groups', 'num_channels']),
};
