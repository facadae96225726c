// nn.CrossEntropyLoss: log_softmax + NLL on logits against class indices.
import { floatParam, intParam } from './helpers';
import { lossSpec } from './loss-common';

export const crossEntropyLoss = lossSpec({
  title: 'CrossEntropyLoss',
  op: 'cross_entropy',
  summary: 'Classification loss on logits vs class indices',
  doc: 'Applies log_softmax to the logits `[N, C]` and takes the negative log-likelihood of the int64 class indices `[N]`. Feed it raw logits, not Softmax output.',
  example: 'criterion = nn.CrossEntropyLoss()\nloss = criterion(logits, labels)   # logits [64, 10], labels [64] int64',
  target: 'class-index',
  params: [
    intParam('ignore_index', -100, 'targets with this class contribute nothing'),
    floatParam('label_smoothing', 0, 'mix this much of a uniform distribution into the targets', { min: 0, max: 1 }),
  ],
  emptyTensors: 1,
});
