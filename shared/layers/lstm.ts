// nn.LSTM: long short-term memory, with a cell state beside h.
import { recurrentSpec } from './recurrent-common';

export const lstm = recurrentSpec('LSTM', 'LSTM: gated recurrent layer with a cell state', `lstm = nn.LSTM(input_size=10, hidden_size=20, num_layers=2)
x = torch.randn(5, 3, 10)
h0, c0 = torch.randn(2, 3, 20), torch.randn(2, 3, 20)
output, (h_n, c_n) = lstm(x, (h0, c0))   # output [5, 3, 20]`);
