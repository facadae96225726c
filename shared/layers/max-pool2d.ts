// nn.MaxPool2d: the maximum over each window.
import { ceilModeParam, poolInfer, poolWindowParams } from './pool-common';
import { intsParam, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  ...poolWindowParams(),
  intsParam('dilation', [1, 1], 2, 'spacing between window elements', { min: 1 }),
  ceilModeParam(),
];

export const maxPool2d: LayerSpec = {
  id: 'nn.MaxPool2d',
  version: 1,
  category: 'pool',
  title: 'MaxPool2d',
  summary: 'Max over k×k windows: halves H and W with k=2',
  doc: `Takes the maximum over each \`kernel_size\` window: \`[N, C, H, W] → [N, C, H', W']\`.

PyTorch: \`nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)\`, or \`F.max_pool2d(x, (2, 2))\` as in LeNet.

\`\`\`python
pool = nn.MaxPool2d(2, 2)   # [N, 6, 28, 28] → [N, 6, 14, 14]
\`\`\``,
  defaultName: 'pool',
  params,
  inputs: [port('input', [3, 4], 'float', '[N, C, H, W]')],
  outputs: [out('out', '[N, C, H\', W\']')],
  inferShape: (inputs, p) => poolInfer(inputs, p, 'MaxPool2d', p.ints('dilation')),
  weights: () => [],
  lower: (c) => [
    step('max_pool2d', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], {
      kernel_size: c.params.ints('kernel_size'),
      stride: c.params.intsOrNull('stride') ?? c.params.ints('kernel_size'),
      padding: c.params.ints('padding'),
      dilation: c.params.ints('dilation'),
      ceil_mode: c.params.bool('ceil_mode'),
    }),
  ],
  torch: torchModule('nn.MaxPool2d', params, ['kernel_size']),
};
