// Shared shape of the activation specs: same shape in and out, one engine op, an optional plotted formula.
import { input, ok, out, port, torchModule } from './helpers';
import { step, type LayerSpec, type ParamReader, type ParamSpec } from './spec';

interface ActivationOptions {
  readonly title: string;
  readonly op: string;
  readonly summary: string;
  readonly formulaText: string;
  readonly example: string;
  readonly params?: readonly ParamSpec[];
  readonly formula?: (x: number, params: ParamReader) => number;
}

export function activationSpec(options: ActivationOptions): LayerSpec {
  const params = options.params ?? [];
  const spec: LayerSpec = {
    id: `nn.${options.title}`,
    version: 1,
    category: 'activation',
    title: options.title,
    summary: options.summary,
    doc: `${options.formulaText}; the shape is unchanged.

PyTorch: \`nn.${options.title}(${params.map((param) => `${param.name}=${JSON.stringify(param.default)}`).join(', ')})\`.

\`\`\`python
${options.example}
\`\`\``,
    defaultName: options.title.toLowerCase(),
    params,
    inputs: [port('input', [1, 6], 'float', 'any float tensor')],
    outputs: [out('out', 'same shape as the input')],
    inferShape: (inputs) => ok({ out: { shape: input(inputs, 'input').shape, kind: 'float' } }),
    weights: () => [],
    lower: (c) =>
      [step(options.op, c.module, [c.inputs['input'] ?? ''], [], [c.outputs['out'] ?? ''], Object.fromEntries(params.map((param) => [param.name, c.params.values[param.name] ?? null])))],
    torch: torchModule(`nn.${options.title}`, params),
  };
  return options.formula ? { ...spec, formula: options.formula } : spec;
}
