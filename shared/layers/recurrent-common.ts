// Shared parts of RNN, LSTM and GRU: params, PyTorch's shape rules, per-layer weights, lowering.
import { boolParam, checkDerived, enumParam, fail, floatParam, formatShape, input, intParam, layerError, ok, out, port, torchModule, uniformFanIn } from './helpers';
import { step, type LayerSpec, type ParamReader, type ParamSpec, type TensorInfo, type WeightSpec } from './spec';

type Kind = 'RNN' | 'LSTM' | 'GRU';
const gates: Record<Kind, number> = { RNN: 1, LSTM: 4, GRU: 3 };

function recurrentParams(kind: Kind): ParamSpec[] {
  const params: ParamSpec[] = [
    intParam('input_size', null, 'features per step (from the input shape)', { min: 1, derived: true }),
    intParam('hidden_size', 20, 'features of the hidden state h', { min: 1 }),
    intParam('num_layers', 1, 'stacked recurrent layers', { min: 1, max: 16 }),
  ];
  if (kind === 'RNN') params.push(enumParam('nonlinearity', ['tanh', 'relu'], 'tanh', 'the cell activation'));
  params.push(
    boolParam('bias', true, 'learn bias_ih and bias_hh'),
    boolParam('batch_first', true, 'input and output are [N, T, F] (PyTorch defaults to [T, N, F])', { torchDefault: false }),
    floatParam('dropout', 0, 'dropout between stacked layers (not after the last)', { min: 0, max: 1, exclusiveMax: true }),
    boolParam('bidirectional', false, 'also run the sequence backwards; doubles the output features'),
  );
  return params;
}

function recurrentWeights(kind: Kind, p: ParamReader): WeightSpec[] {
  const hidden = p.int('hidden_size');
  const directions = p.bool('bidirectional') ? 2 : 1;
  const rows = gates[kind] * hidden;
  const weights: WeightSpec[] = [];
  for (let layer = 0; layer < p.int('num_layers'); layer += 1) {
    const inputSize = layer === 0 ? p.int('input_size') : hidden * directions;
    for (const suffix of directions === 2 ? ['', '_reverse'] : ['']) {
      weights.push(uniformFanIn(`weight_ih_l${layer}${suffix}`, [rows, inputSize], hidden));
      weights.push(uniformFanIn(`weight_hh_l${layer}${suffix}`, [rows, hidden], hidden));
      if (p.bool('bias')) {
        weights.push(uniformFanIn(`bias_ih_l${layer}${suffix}`, [rows], hidden));
        weights.push(uniformFanIn(`bias_hh_l${layer}${suffix}`, [rows], hidden));
      }
    }
  }
  return weights;
}

export function recurrentSpec(kind: Kind, summary: string, example: string): LayerSpec {
  const params = recurrentParams(kind);
  const hasCell = kind === 'LSTM';
  const op = kind.toLowerCase();
  const stateDoc = '[num_layers·directions, N, hidden_size]';
  return {
    id: `nn.${kind}`,
    version: 1,
    category: 'recurrent',
    title: kind,
    summary,
    doc: `${summary}. With \`batch_first\`: \`x [N, T, input_size]\` → \`output [N, T, D·hidden_size]\`, \`h_n ${stateDoc}\`${hasCell ? ', `c_n` the same' : ''} (D = 2 when bidirectional). h_n is never batch-first, as in PyTorch.

PyTorch: \`nn.${kind}(input_size, hidden_size, num_layers=1${kind === 'RNN' ? ", nonlinearity='tanh'" : ''}, bias=True, batch_first=False, dropout=0, bidirectional=False)\`.

\`\`\`python
${example}
\`\`\`
Weights per layer k (and \`_reverse\`): \`weight_ih_l{k}\`, \`weight_hh_l{k}\`, \`bias_ih_l{k}\`, \`bias_hh_l{k}\`, all U(±1/√hidden_size).`,
    defaultName: op,
    params,
    inputs: [
      port('input', 3, 'float', 'a sequence [N, T, input_size] (batch_first)'),
      port('h0', 3, 'float', `initial hidden state ${stateDoc}; zeros when unconnected`, true),
      ...(hasCell ? [port('c0', 3, 'float', `initial cell state ${stateDoc}; needs h0`, true)] : []),
    ],
    outputs: [
      out('output', '[N, T, D·hidden_size]: the last layer\'s h at every step'),
      out('h_n', `${stateDoc}: every layer's final h`),
      ...(hasCell ? [out('c_n', `${stateDoc}: every layer's final cell state`)] : []),
    ],
    derive: (inputs) => {
      const size = inputs['input']?.shape[2];
      return typeof size === 'number' ? { input_size: size } : {};
    },
    inferShape(inputs, p) {
      const x = input(inputs, 'input');
      const derivedError = checkDerived('input', p, 'input_size', x.shape[2] ?? 1, x.shape, kind);
      if (derivedError) return fail(derivedError);
      if (hasCell && (inputs['h0'] === undefined) !== (inputs['c0'] === undefined)) {
        return fail(layerError('E_PORT_PAIR', inputs['h0'] === undefined ? 'h0' : 'c0', 'LSTM takes h0 and c0 together (PyTorch passes them as a tuple); connect both or neither.'));
      }
      const batchFirst = p.bool('batch_first');
      const [batch, time] = batchFirst ? [x.shape[0] ?? 'N', x.shape[1] ?? 'T'] : [x.shape[1] ?? 'N', x.shape[0] ?? 'T'];
      const directions = p.bool('bidirectional') ? 2 : 1;
      const hidden = p.int('hidden_size');
      const state: TensorInfo = { shape: [directions * p.int('num_layers'), batch, hidden], kind: 'float' };
      for (const name of ['h0', 'c0']) {
        const given = inputs[name];
        if (given !== undefined && given.shape.some((dim, index) => dim !== state.shape[index])) {
          return fail(layerError('E_SHAPE_MISMATCH', name, `${kind}: ${name} must be ${formatShape(state.shape)} ([num_layers·directions, N, hidden_size]) but is ${formatShape(given.shape)}.`));
        }
      }
      const output: TensorInfo = { shape: batchFirst ? [batch, time, directions * hidden] : [time, batch, directions * hidden], kind: 'float' };
      return ok(hasCell ? { output, h_n: state, c_n: state } : { output, h_n: state });
    },
    weights: (p) => recurrentWeights(kind, p),
    lower(c) {
      const p = c.params;
      // The op takes (x, h0|none[, c0|none], weights…); values come before tensors in a step,
      // so an unconnected state is passed as a leading "none" tensor ('').
      const values = [c.inputs['input'] ?? ''];
      const none: string[] = [];
      for (const state of hasCell ? ['h0', 'c0'] : ['h0']) {
        const value = c.inputs[state];
        if (value) values.push(value);
        else none.push('');
      }
      const outputs = [c.outputs['output'] ?? '', c.outputs['h_n'] ?? ''];
      if (hasCell) outputs.push(c.outputs['c_n'] ?? '');
      return [
        step(op, c.module, values, [...none, ...recurrentWeights(kind, p).map((weight) => c.tensor(weight.name))], outputs, {
          input_size: p.int('input_size'),
          hidden_size: p.int('hidden_size'),
          num_layers: p.int('num_layers'),
          bias: p.bool('bias'),
          batch_first: p.bool('batch_first'),
          dropout: p.float('dropout'),
          bidirectional: p.bool('bidirectional'),
          nonlinearity: kind === 'RNN' ? p.string('nonlinearity') : null,
          training: true,
        }),
      ];
    },
    torch: torchModule(`nn.${kind}`, params, ['input_size', 'hidden_size']),
  };
}
