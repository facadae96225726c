// Shared parts of MaxPool2d and AvgPool2d: window params and PyTorch's output-size rule.
import { boolParam, convOutput, formatShape, input, intsParam, isStatic, layerError, fail, ok, pair } from './helpers';
import type { Dim, InferResult, InputInfos, ParamReader, ParamSpec } from './spec';

export const poolWindowParams = (): ParamSpec[] => [
  intsParam('kernel_size', [2, 2], 2, 'size of the pooling window', { min: 1 }),
  intsParam('stride', null, 2, 'stride of the window; empty means kernel_size', { min: 1, nullable: true }),
  intsParam('padding', [0, 0], 2, 'implicit padding on both sides (at most half the kernel)', { min: 0 }),
];
export const ceilModeParam = (): ParamSpec => boolParam('ceil_mode', false, 'use ceil instead of floor for the output size');

export function poolInfer(inputs: InputInfos, p: ParamReader, title: string, dilation: readonly number[]): InferResult {
  const x = input(inputs, 'input');
  const kernel = pair(p.ints('kernel_size'));
  const stride = pair(p.intsOrNull('stride') ?? kernel);
  const padding = pair(p.ints('padding'));
  for (let axis = 0; axis < 2; axis += 1) {
    if ((padding[axis] ?? 0) * 2 > (kernel[axis] ?? 1)) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `${title}: padding ${formatShape(padding)} must be at most half of kernel_size ${formatShape(kernel)}; lower the padding.`, { kind: 'set-param', param: 'padding', value: kernel.map((k) => Math.floor(k / 2)) }));
    }
  }
  const sizes: Dim[] = [];
  for (let axis = 0; axis < 2; axis += 1) {
    const size = x.shape[x.shape.length - 2 + axis] ?? 1;
    const result = convOutput(size, kernel[axis] ?? 1, stride[axis] ?? 1, padding[axis] ?? 0, dilation[axis] ?? 1, p.bool('ceil_mode'));
    if (isStatic(result) && result < 1) {
      return fail(layerError('E_SHAPE_TOO_SMALL', 'input', `${title}: input ${formatShape(x.shape)} is smaller than the window ${formatShape(kernel)}; use a smaller kernel_size or remove a pooling layer.`, { kind: 'set-param', param: 'kernel_size', value: [1, 1] }));
    }
    sizes.push(result);
  }
  return ok({ out: { shape: [...x.shape.slice(0, -2), ...sizes], kind: 'float' } });
}
