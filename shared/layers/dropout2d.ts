// nn.Dropout2d: drops whole channels of [N, C, H, W].
import { dropoutSpec } from './dropout-common';

export const dropout2d = dropoutSpec('Dropout2d', 'dropout2d', [3, 4], 'channels');
