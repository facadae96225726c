// SelectStep: takes one time step of a sequence (x[:, -1]) so a classifier can follow an RNN.
import { fail, formatShape, input, intParam, isStatic, layerError, ok, out, port, wrapDim } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [
  intParam('index', -1, 'which step; -1 is the last'),
  intParam('dim', 1, 'the time dim (1 for batch-first sequences)'),
];

export const selectStep: LayerSpec = {
  id: 'op.SelectStep',
  version: 1,
  category: 'shape',
  title: 'Select step',
  summary: 'Takes one time step, e.g. the last RNN output: [N, T, H] → [N, H]',
  doc: `Picks step \`index\` along \`dim\` and drops that dim: \`[N, T, H] → [N, H]\`. Put it between an RNN/LSTM/GRU and a Linear classifier.

PyTorch: \`output[:, -1, :]\` (or \`output.select(1, -1)\`).

\`\`\`python
output, h_n = self.gru(x)
logits = self.fc(output[:, -1, :])
\`\`\``,
  defaultName: 'last',
  params,
  inputs: [port('input', [3, 5], 'float', 'a sequence [N, T, H]')],
  outputs: [out('out', 'the input without the time dim')],
  inferShape(inputs, p) {
    const x = input(inputs, 'input');
    const dim = wrapDim(p.int('dim'), x.shape.length);
    if (dim === null || dim === 0) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Select step: dim=${p.int('dim')} must name a non-batch dim of ${formatShape(x.shape)}; use 1.`, { kind: 'set-param', param: 'dim', value: 1 }));
    }
    const length = x.shape[dim] ?? 1;
    const index = p.int('index');
    if (isStatic(length) && (index >= length || index < -length)) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `Select step: index ${index} is outside a sequence of length ${length}; use -1 for the last step.`, { kind: 'set-param', param: 'index', value: -1 }));
    }
    return ok({ out: { shape: x.shape.filter((_, axis) => axis !== dim), kind: x.kind } });
  },
  weights: () => [],
  lower(c) {
    const index = c.params.int('index');
    const dim = c.params.int('dim');
    const sliced = c.temp('step');
    // NOTE: slice's end defaults to the dim size; index+1 would be 0 for index -1 and select nothing.
    return [
      step('slice', c.module, [c.inputs['input'] ?? ''], [], [sliced], { dim, start: index, end: index === -1 ? null : index + 1 }),
      step('squeeze', c.module, [sliced], [], [c.outputs['out'] ?? ''], { dim }),
    ];
  },
  torch: { kind: 'function', expression: (inputs, p) => `${inputs['input'] ?? 'x'}.select(${p.int('dim')}, ${p.int('index')})` },
};
