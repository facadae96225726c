// nn.LogSoftmax: log of softmax, computed stably; the input NLLLoss expects.
import { softmaxSpec } from './softmax-common';

export const logSoftmax = softmaxSpec('LogSoftmax', 'log_softmax', 'Log-probabilities along a dim (for NLLLoss)', 'y = x - log(sum(exp(x)))');
