// nn.Conv1d: 1-D convolution over [N, C, L].
import { convInfer, convLower, convParams, convWeights, deriveChannels } from './conv-common';
import { out, port, torchModule } from './helpers';
import type { LayerSpec } from './spec';

const params = convParams(1, false);

export const conv1d: LayerSpec = {
  id: 'nn.Conv1d',
  version: 1,
  category: 'conv',
  title: 'Conv1d',
  summary: '1-D convolution over [N, C, L]',
  doc: `1-D convolution over [N, C, L]: \`[N, C, L]\` → \`[N, out_channels, …]\`.

PyTorch: \`nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, …)\`.

\`\`\`python
nn.Conv1d(16, 33, 3, stride=(2,))
\`\`\`
Weights: \`weight\` (kaiming_uniform, a=√5) and \`bias\` (U(±1/√fan_in)).`,
  defaultName: 'conv',
  params,
  inputs: [port('input', 3, 'float', '[N, C, L]')],
  outputs: [out('out', '[N, out_channels, …]')],
  derive: deriveChannels,
  inferShape: (inputs, p) => convInfer(inputs, p, 1, false, 'Conv1d'),
  weights: (p) => convWeights(p, false),
  lower: (c) => convLower(c, 'conv1d', false),
  torch: torchModule('nn.Conv1d', params, ['in_channels', 'out_channels', 'kernel_size']),
};
