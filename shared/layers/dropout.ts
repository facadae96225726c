// nn.Dropout: element-wise dropout.
import { dropoutSpec } from './dropout-common';

export const dropout = dropoutSpec('Dropout', 'dropout', [2, 5], 'elements');
