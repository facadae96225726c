// Shared parts of Softmax and LogSoftmax: a dim param checked against the input rank.
import { fail, input, intParam, layerError, ok, out, port, torchModule, wrapDim } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [intParam('dim', -1, 'dim along which the values sum to 1 (class dim: 1 or -1)', { torchDefault: null })];

export function softmaxSpec(title: 'Softmax' | 'LogSoftmax', op: string, summary: string, formulaText: string): LayerSpec {
  return {
    id: `nn.${title}`,
    version: 1,
    category: 'activation',
    title,
    summary,
    doc: `${formulaText} along \`dim\`; the shape is unchanged.

PyTorch: \`nn.${title}(dim)\`.

\`\`\`python
out = nn.${title}(dim=1)(logits)   # [N, 10] → [N, 10]
\`\`\`${title === 'LogSoftmax' ? '\nPair it with `nn.NLLLoss`; `nn.CrossEntropyLoss` already includes it.' : '\nFeed logits, not softmax output, to `nn.CrossEntropyLoss`.'}`,
    defaultName: title.toLowerCase(),
    params,
    inputs: [port('input', [1, 6], 'float', 'any float tensor')],
    outputs: [out('out', 'same shape as the input')],
    inferShape(inputs, p) {
      const x = input(inputs, 'input');
      if (wrapDim(p.int('dim'), x.shape.length) === null) {
        return fail(layerError('E_PARAM_CONSTRAINT', undefined, `${title}: dim=${p.int('dim')} is out of range for input rank ${x.shape.length}; use -1 for the last dim.`, { kind: 'set-param', param: 'dim', value: -1 }));
      }
      return ok({ out: { shape: x.shape, kind: 'float' } });
    },
    weights: () => [],
    lower: (c) => [step(op, c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], { dim: c.params.int('dim') })],
    torch: torchModule(`nn.${title}`, params),
  };
}
