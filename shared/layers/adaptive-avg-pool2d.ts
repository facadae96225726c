// nn.AdaptiveAvgPool2d: averages to a fixed output size whatever the input size.
import { input, intsParam, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [intsParam('output_size', [1, 1], 2, 'target output size (H, W)', { min: 1 })];

export const adaptiveAvgPool2d: LayerSpec = {
  id: 'nn.AdaptiveAvgPool2d',
  version: 1,
  category: 'pool',
  title: 'AdaptiveAvgPool2d',
  summary: 'Average-pools to a fixed H×W (global pooling with 1×1)',
  doc: `Average-pools to \`output_size\` whatever H and W are: \`[N, C, H, W] → [N, C, oh, ow]\`.

PyTorch: \`nn.AdaptiveAvgPool2d(output_size)\`.

\`\`\`python
gap = nn.AdaptiveAvgPool2d((1, 1))   # global average pooling before a classifier
\`\`\``,
  defaultName: 'pool',
  params,
  inputs: [port('input', [3, 4], 'float', '[N, C, H, W]')],
  outputs: [out('out', '[N, C, oh, ow]')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    return ok({ out: { shape: [...x.shape.slice(0, -2), ...p.ints('output_size')], kind: 'float' } });
  },
  weights: () => [],
  lower: (c) => [step('adaptive_avg_pool2d', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], { output_size: c.params.ints('output_size') })],
  torch: torchModule('nn.AdaptiveAvgPool2d', params, ['output_size']),
};
