// nn.BatchNorm1d: batch normalisation of [N, C] or [N, C, L].
import { batchNormSpec } from './batch-norm-common';

export const batchNorm1d = batchNormSpec('BatchNorm1d', [2, 3], '[N, C] or [N, C, L]');
