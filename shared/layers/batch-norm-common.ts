// Shared parts of BatchNorm1d and BatchNorm2d: params, channel check, weights and lowering.
import { boolParam, checkDerived, fail, floatParam, input, intParam, normWeights, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('num_features', null, 'channels C (from the input shape)', { min: 1, derived: true }),
  floatParam('eps', 1e-5, 'added to the variance for stability', { min: 0, exclusiveMin: true }),
  floatParam('momentum', 0.1, 'running-stats update factor; empty for a cumulative average', { min: 0, max: 1, nullable: true }),
  boolParam('affine', true, 'learn weight (γ) and bias (β)'),
  boolParam('track_running_stats', true, 'keep running_mean/running_var for eval mode'),
];

export function batchNormSpec(title: 'BatchNorm1d' | 'BatchNorm2d', rank: number | readonly [number, number], layout: string): LayerSpec {
  return {
    id: `nn.${title}`,
    version: 1,
    category: 'norm',
    title,
    summary: `Normalises each channel over the batch (${layout})`,
    doc: `Normalises each channel with batch statistics while training and running statistics in eval: \`${layout}\` → same shape.

PyTorch: \`nn.${title}(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\`.

\`\`\`python
nn.Sequential(nn.Conv2d(1, 32, 5, 1, 1), nn.MaxPool2d(2, 2), nn.ReLU(True), nn.${title}(32))
\`\`\`
state_dict: \`weight\` (ones), \`bias\` (zeros), buffers \`running_mean\` (zeros), \`running_var\` (ones), \`num_batches_tracked\` (int64).`,
    defaultName: 'bn',
    params,
    inputs: [port('input', rank, 'float', layout)],
    outputs: [out('out', 'same shape as the input')],
    derive: (inputs) => {
      const channels = inputs['input']?.shape[1];
      return typeof channels === 'number' ? { num_features: channels } : {};
    },
    inferShape(inputs, p) {
      const x = input(inputs, 'input');
      const error = checkDerived('input', p, 'num_features', x.shape[1] ?? 1, x.shape, title);
      return error ? fail(error) : ok({ out: { shape: x.shape, kind: 'float' } });
    },
    weights: (p) => normWeights(p.int('num_features'), p.bool('affine'), p.bool('track_running_stats')),
    lower: (c) => [
      step(
        'batch_norm',
        c.module,
        [c.inputs['input'] ?? ''],
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((name) => c.tensor(name)),
        [c.outputs['out'] ?? ''],
        // NOTE: momentum None (cumulative average) must reach the op: a dropped attr would mean 0.1.
        { momentum: c.params.values['momentum'] === null ? 'none' : c.params.float('momentum'), eps: c.params.float('eps'), training: true },
      ),
    ],
    torch: torchModule(`nn.${title}`, params, ['num_features']),
  };
}
