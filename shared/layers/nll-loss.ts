// nn.NLLLoss: negative log-likelihood of class indices, after LogSoftmax.
import { intParam } from './helpers';
import { lossSpec } from './loss-common';

export const nllLoss = lossSpec({
  title: 'NLLLoss',
  op: 'nll_loss',
  summary: 'Classification loss on log-probabilities (after LogSoftmax)',
  doc: 'Takes `-input[n, target[n]]`: put a LogSoftmax before it. LogSoftmax + NLLLoss equals CrossEntropyLoss.',
  example: 'loss = nn.NLLLoss()(F.log_softmax(logits, dim=1), labels)',
  target: 'class-index',
  params: [intParam('ignore_index', -100, 'targets with this class contribute nothing')],
  emptyTensors: 1,
});
