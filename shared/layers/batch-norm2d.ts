// nn.BatchNorm2d: batch normalisation of images [N, C, H, W].
import { batchNormSpec } from './batch-norm-common';

export const batchNorm2d = batchNormSpec('BatchNorm2d', 4, '[N, C, H, W]');
