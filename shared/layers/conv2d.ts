// nn.Conv2d: 2-D convolution over [N, C, H, W].
import { convInfer, convLower, convParams, convWeights, deriveChannels } from './conv-common';
import { out, port, torchModule } from './helpers';
import type { LayerSpec } from './spec';

const params = convParams(2, false);

export const conv2d: LayerSpec = {
  id: 'nn.Conv2d',
  version: 1,
  category: 'conv',
  title: 'Conv2d',
  summary: '2-D convolution over [N, C, H, W]',
  doc: `2-D convolution over [N, C, H, W]: \`[N, C, H, W]\` → \`[N, out_channels, …]\`.

PyTorch: \`nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, …)\`.

\`\`\`python
nn.Conv2d(1, 6, 5, padding=2)   # LeNet's conv1 on 28×28 images
\`\`\`
Weights: \`weight\` (kaiming_uniform, a=√5) and \`bias\` (U(±1/√fan_in)).`,
  defaultName: 'conv',
  params,
  inputs: [port('input', 4, 'float', '[N, C, H, W]')],
  outputs: [out('out', '[N, out_channels, …]')],
  derive: deriveChannels,
  inferShape: (inputs, p) => convInfer(inputs, p, 2, false, 'Conv2d'),
  weights: (p) => convWeights(p, false),
  lower: (c) => convLower(c, 'conv2d', false),
  torch: torchModule('nn.Conv2d', params, ['in_channels', 'out_channels', 'kernel_size']),
};
