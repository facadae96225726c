// nn.AvgPool2d: the mean over each window.
import { ceilModeParam, poolInfer, poolWindowParams } from './pool-common';
import { boolParam, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  ...poolWindowParams(),
  ceilModeParam(),
  boolParam('count_include_pad', true, 'count the zero padding in the average'),
];

export const avgPool2d: LayerSpec = {
  id: 'nn.AvgPool2d',
  version: 1,
  category: 'pool',
  title: 'AvgPool2d',
  summary: 'Mean over k×k windows',
  doc: `Averages each \`kernel_size\` window: \`[N, C, H, W] → [N, C, H', W']\`.

PyTorch: \`nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)\`.

\`\`\`python
pool = nn.AvgPool2d(2)   # [N, 16, 10, 10] → [N, 16, 5, 5]
\`\`\``,
  defaultName: 'pool',
  params,
  inputs: [port('input', [3, 4], 'float', '[N, C, H, W]')],
  outputs: [out('out', '[N, C, H\', W\']')],
  inferShape: (inputs, p) => poolInfer(inputs, p, 'AvgPool2d', [1, 1]),
  weights: () => [],
  lower: (c) => [
    step('avg_pool2d', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], {
      kernel_size: c.params.ints('kernel_size'),
      stride: c.params.intsOrNull('stride') ?? c.params.ints('kernel_size'),
      padding: c.params.ints('padding'),
      ceil_mode: c.params.bool('ceil_mode'),
      count_include_pad: c.params.bool('count_include_pad'),
    }),
  ],
  torch: torchModule('nn.AvgPool2d', params, ['kernel_size']),
};
