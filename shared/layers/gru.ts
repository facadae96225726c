// nn.GRU: gated recurrent unit (reset and update gates).
import { recurrentSpec } from './recurrent-common';

export const gru = recurrentSpec('GRU', 'GRU: gated recurrent layer (reset and update gates)', `gru = nn.GRU(input_size=10, hidden_size=20, num_layers=2)
x = torch.randn(5, 3, 10)
h0 = torch.randn(2, 3, 20)
output, h_n = gru(x, h0)         # output [5, 3, 20], h_n [2, 3, 20]`);
