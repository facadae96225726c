// Shared parts of the convolution specs: params, shape rule, weights and lowering for N spatial dims.
import {
  boolParam,
  checkDerived,
  convOutput,
  fail,
  formatShape,
  input,
  intParam,
  intsParam,
  isStatic,
  kaimingWeight,
  layerError,
  ok,
  uniformFanIn,
} from './helpers';
import { step, type Dim, type InferResult, type InputInfos, type LowerContext, type ParamReader, type ParamSpec, type PlanStepList, type WeightSpec } from './spec';

export function convParams(spatial: number, transposed: boolean): ParamSpec[] {
  const ones = Array<number>(spatial).fill(1);
  const zeros = Array<number>(spatial).fill(0);
  const params: ParamSpec[] = [
    intParam('in_channels', null, 'channels of the input (from the input shape)', { min: 1, derived: true }),
    intParam('out_channels', 6, 'channels produced', { min: 1 }),
    intsParam('kernel_size', Array<number>(spatial).fill(3), spatial, 'size of the convolving kernel', { min: 1 }),
    intsParam('stride', ones, spatial, 'stride of the convolution', { min: 1 }),
    intsParam('padding', zeros, spatial, 'zero padding added to both sides', { min: 0 }),
  ];
  if (transposed) params.push(intsParam('output_padding', zeros, spatial, 'extra size added to one side of the output', { min: 0 }));
  params.push(intParam('groups', 1, 'blocked connections from input to output channels', { min: 1 }));
  params.push(boolParam('bias', true, 'learn an additive bias'));
  params.push(intsParam('dilation', ones, spatial, 'spacing between kernel elements', { min: 1 }));
  return params;
}

export function convInfer(inputs: InputInfos, p: ParamReader, spatial: number, transposed: boolean, title: string): InferResult {
  const x = input(inputs, 'input');
  const channels = x.shape[1] ?? 1;
  const derivedError = checkDerived('input', p, 'in_channels', channels, x.shape, title);
  if (derivedError) return fail(derivedError);
  const groups = p.int('groups');
  for (const name of ['in_channels', 'out_channels']) {
    if (p.int(name) % groups !== 0) {
      return fail(layerError('E_PARAM_CONSTRAINT', undefined, `${title}: ${name}=${p.int(name)} is not divisible by groups=${groups}; set groups to a divisor of both channel counts.`, { kind: 'set-param', param: 'groups', value: 1 }));
    }
  }
  const kernel = p.ints('kernel_size');
  const stride = p.ints('stride');
  const padding = p.ints('padding');
  const dilation = p.ints('dilation');
  const outputPadding = transposed ? p.ints('output_padding') : [];
  const sizes: Dim[] = [];
  for (let axis = 0; axis < spatial; axis += 1) {
    const size = x.shape[2 + axis] ?? 1;
    const k = kernel[axis] ?? 1;
    const s = stride[axis] ?? 1;
    const pad = padding[axis] ?? 0;
    const d = dilation[axis] ?? 1;
    const result: Dim = transposed
      ? isStatic(size)
        ? (size - 1) * s - 2 * pad + d * (k - 1) + (outputPadding[axis] ?? 0) + 1
        : `convT(${size})`
      : convOutput(size, k, s, pad, d);
    if (isStatic(result) && result < 1) {
      return fail(layerError('E_SHAPE_TOO_SMALL', 'input', `${title}: input ${formatShape(x.shape)} is too small for kernel ${formatShape(kernel)} (output size ${result}); add padding or use a smaller kernel.`, { kind: 'set-param', param: 'padding', value: kernel.map((value) => Math.floor(value / 2)) }));
    }
    sizes.push(result);
  }
  return ok({ out: { shape: [x.shape[0] ?? 'N', p.int('out_channels'), ...sizes], kind: 'float' } });
}

export function convWeights(p: ParamReader, transposed: boolean): WeightSpec[] {
  const inChannels = p.int('in_channels');
  const outChannels = p.int('out_channels');
  const groups = p.int('groups');
  const kernel = p.ints('kernel_size');
  const receptive = kernel.reduce((a, b) => a * b, 1);
  // NOTE: ConvTranspose weights are [in, out/groups, k…]; PyTorch's fan_in is always size(1) × receptive field.
  const shape = transposed ? [inChannels, outChannels / groups, ...kernel] : [outChannels, inChannels / groups, ...kernel];
  const fanIn = (shape[1] ?? 1) * receptive;
  const weights = [kaimingWeight('weight', shape, fanIn)];
  if (p.bool('bias')) weights.push(uniformFanIn('bias', [outChannels], fanIn));
  return weights;
}

export function convLower(c: LowerContext, op: string, transposed: boolean): PlanStepList {
  const p = c.params;
  return [
    step(op, c.module, [c.inputs['input'] ?? ''], [c.tensor('weight'), c.tensor('bias')], [c.outputs['out'] ?? ''], {
      stride: p.ints('stride'),
      padding: p.ints('padding'),
      output_padding: transposed ? p.ints('output_padding') : null,
      dilation: p.ints('dilation'),
      groups: p.int('groups'),
    }),
  ];
}

export const deriveChannels = (inputs: InputInfos): Record<string, number> => {
  const channels = inputs['input']?.shape[1];
  return typeof channels === 'number' ? { in_channels: channels } : {};
};
