// nn.Upsample: resizes H and W by a scale factor or to a fixed size.
import { enumParam, fail, floatParam, input, intsParam, isStatic, layerError, ok, out, port, torchModule } from './helpers';
import { step, type Dim, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intsParam('size', null, 2, 'output size (H, W); leave empty to use scale_factor', { min: 1, nullable: true }),
  floatParam('scale_factor', 2, 'multiplier for H and W; leave empty to use size', { min: 0, exclusiveMin: true, nullable: true }),
  enumParam('mode', ['nearest', 'bilinear'], 'nearest', 'interpolation'),
];

export const upsample: LayerSpec = {
  id: 'nn.Upsample',
  version: 1,
  category: 'pool',
  title: 'Upsample',
  summary: 'Resize H×W by a factor or to a size (nearest, bilinear)',
  doc: `Resizes the spatial dims: \`[N, C, H, W] → [N, C, H·s, W·s]\` (or to \`size\`).

PyTorch: \`nn.Upsample(size=None, scale_factor=None, mode='nearest')\`.

\`\`\`python
up = nn.Upsample(scale_factor=2, mode='nearest')
\`\`\``,
  defaultName: 'up',
  params,
  inputs: [port('input', 4, 'float', '[N, C, H, W]')],
  outputs: [out('out', '[N, C, H\', W\']')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const size = p.intsOrNull('size');
    const scale = p.values['scale_factor'] ?? null;
    if ((size === null) === (scale === null)) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, 'Upsample needs exactly one of size and scale_factor; clear one of them.', { kind: 'set-param', param: 'size', value: null }));
    }
    const spatial: Dim[] =
      size !== null
        ? [...size]
        : x.shape.slice(-2).map((dim) => (isStatic(dim) ? Math.floor(dim * p.float('scale_factor')) : `${dim}*${p.float('scale_factor')}`));
    return ok({ out: { shape: [...x.shape.slice(0, -2), ...spatial], kind: 'float' } });
  },
  weights: () => [],
  lower: (c) => [
    step('upsample', c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], {
      size: c.params.intsOrNull('size'),
      scale_factor: c.params.values['scale_factor'] === null ? null : c.params.float('scale_factor'),
      mode: c.params.string('mode'),
    }),
  ],
  torch: torchModule('nn.Upsample', params),
};
