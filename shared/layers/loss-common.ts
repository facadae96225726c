// Shared shape of the loss specs: prediction and target in, a scalar loss out.
import { enumParam, fail, formatShape, input, layerError, ok, out, port, shapesEqual, torchModule } from './helpers';
import { step, type InferResult, type InputInfos, type LayerSpec, type ParamSpec, type TensorInfo } from './spec';

interface LossOptions {
  readonly title: string;
  readonly op: string;
  readonly summary: string;
  readonly doc: string;
  readonly example: string;
  readonly target: 'same-shape' | 'class-index';
  readonly params?: readonly ParamSpec[];
  /** passes an empty weight tensor (and pos_weight) slot as the engine op expects */
  readonly emptyTensors?: number;
}

const scalar: TensorInfo = { shape: [], kind: 'float' };

/** Class-index losses: input [N, C, d…] and target [N, d…]. */
function classTargetInfer(inputs: InputInfos, title: string): InferResult {
  const prediction = input(inputs, 'input');
  const target = input(inputs, 'target');
  const expected = [prediction.shape[0] ?? 'N', ...prediction.shape.slice(2)];
  if (!shapesEqual(expected, target.shape)) {
    return fail(layerError('E_SHAPE_MISMATCH', 'target', `${title}: input ${formatShape(prediction.shape)} (N, C, …) needs a class-index target ${formatShape(expected)}, but the target is ${formatShape(target.shape)}.`));
  }
  return ok({ loss: scalar });
}

function sameShapeInfer(inputs: InputInfos, title: string): InferResult {
  const prediction = input(inputs, 'input');
  const target = input(inputs, 'target');
  if (!shapesEqual(prediction.shape, target.shape)) {
    return fail(layerError('E_SHAPE_MISMATCH', 'target', `${title}: input ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape; set the Target's shape to match the prediction.`));
  }
  return ok({ loss: scalar });
}

export function lossSpec(options: LossOptions): LayerSpec {
  const params: readonly ParamSpec[] = [...(options.params ?? []), enumParam('reduction', ['mean', 'sum'], 'mean', 'average or sum the per-element losses')];
  const classIndex = options.target === 'class-index';
  return {
    id: `nn.${options.title}`,
    version: 1,
    category: 'loss',
    title: options.title,
    summary: options.summary,
    doc: `${options.doc}

PyTorch: \`nn.${options.title}(${params.map((param) => `${param.name}=${JSON.stringify(param.default)}`).join(', ')})\`.

\`\`\`python
${options.example}
\`\`\``,
    defaultName: 'loss',
    params,
    inputs: [
      port('input', classIndex ? [2, 4] : [1, 5], 'float', classIndex ? 'logits [N, C] or [N, C, d…]' : 'predictions'),
      port('target', classIndex ? [1, 3] : [1, 5], classIndex ? 'index' : 'float', classIndex ? 'class indices [N] (int64)' : 'float targets, same shape as the input'),
    ],
    outputs: [out('loss', 'the scalar loss')],
    inferShape: (inputs) => (classIndex ? classTargetInfer(inputs, options.title) : sameShapeInfer(inputs, options.title)),
    weights: () => [],
    lower: (c) => [
      step(
        options.op,
        c.module,
        [c.inputs['input'] ?? '', c.inputs['target'] ?? ''],
        Array<string>(options.emptyTensors ?? 0).fill(''),
        [c.outputs['loss'] ?? ''],
        Object.fromEntries(params.map((param) => [param.name, c.params.values[param.name] ?? null])),
      ),
    ],
    torch: torchModule(`nn.${options.title}`, params),
  };
}
