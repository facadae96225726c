// nn.Softmax: exponentiates and normalises to probabilities along a dim.
import { softmaxSpec } from './softmax-common';

export const softmax = softmaxSpec('Softmax', 'softmax', 'Turns scores into probabilities along a dim', 'y = exp(x) / sum(exp(x))');
