// Add: element-wise sum (residual connections).
import { elementwiseSpec } from './elementwise-common';

export const add = elementwiseSpec('Add', 'add', '+', 'Use it for residual connections: `x + f(x)`.');
