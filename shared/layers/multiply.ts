// Multiply: element-wise product (gating).
import { elementwiseSpec } from './elementwise-common';

export const multiply = elementwiseSpec('Multiply', 'mul', '*', 'Use it for gates: `x * torch.sigmoid(g)`.');
