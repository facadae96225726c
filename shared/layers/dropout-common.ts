// Shared parts of Dropout and Dropout2d: the probability param and an identity shape.
import { floatParam, input, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamSpec } from './spec';

const params: readonly ParamSpec[] = [floatParam('p', 0.5, 'probability of zeroing an element (a channel for Dropout2d)', { min: 0, max: 1, exclusiveMax: true })];

export function dropoutSpec(title: 'Dropout' | 'Dropout2d', op: string, rank: number | readonly [number, number], what: string): LayerSpec {
  return {
    id: `nn.${title}`,
    version: 1,
    category: 'dropout',
    title,
    summary: `Zeroes random ${what} while training; identity in eval`,
    doc: `While training, zeroes random ${what} with probability \`p\` and scales the rest by \`1/(1-p)\`; does nothing in eval mode (\`model.eval()\`).

PyTorch: \`nn.${title}(p=0.5)\`.

\`\`\`python
drop = nn.${title}(0.2)
\`\`\``,
    defaultName: 'dropout',
    params,
    inputs: [port('input', rank, 'float', 'any float tensor')],
    outputs: [out('out', 'same shape as the input')],
    inferShape: (inputs) => ok({ out: { shape: input(inputs, 'input').shape, kind: 'float' } }),
    weights: () => [],
    lower: (c) => [step(op, c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], { p: c.params.float('p'), training: true })],
    torch: torchModule(`nn.${title}`, params),
  };
}
