// nn.ConvTranspose2d: Transposed 2-D convolution (learned upsampling).
import { convInfer, convLower, convParams, convWeights, deriveChannels } from './conv-common';
import { out, port, torchModule } from './helpers';
import type { LayerSpec } from './spec';

const params = convParams(2, true);

export const convTranspose2d: LayerSpec = {
  id: 'nn.ConvTranspose2d',
  version: 1,
  category: 'conv',
  title: 'ConvTranspose2d',
  summary: 'Transposed 2-D convolution (learned upsampling)',
  doc: `Transposed 2-D convolution (learned upsampling): \`[N, C, H, W]\` → \`[N, out_channels, …]\`.

PyTorch: \`nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, …)\`.

\`\`\`python
nn.ConvTranspose2d(16, 8, 2, stride=2)   # doubles H and W
\`\`\`
Weights: \`weight\` (kaiming_uniform, a=√5) and \`bias\` (U(±1/√fan_in)).`,
  defaultName: 'conv',
  params,
  inputs: [port('input', 4, 'float', '[N, C, H, W]')],
  outputs: [out('out', '[N, out_channels, …]')],
  derive: deriveChannels,
  inferShape: (inputs, p) => convInfer(inputs, p, 2, true, 'ConvTranspose2d'),
  weights: (p) => convWeights(p, true),
  lower: (c) => convLower(c, 'conv_transpose2d', true),
  torch: torchModule('nn.ConvTranspose2d', params, ['in_channels', 'out_channels', 'kernel_size']),
};
