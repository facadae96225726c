// nn.RNN: the Elman recurrent layer, h_t = tanh(x_t W_ihᵀ + h_{t-1} W_hhᵀ + b).
import { recurrentSpec } from './recurrent-common';

export const rnn = recurrentSpec('RNN', 'Elman RNN: h_t = tanh(W_ih x_t + W_hh h_(t-1) + b)', `rnn = nn.RNN(input_size=100, hidden_size=20, num_layers=2)
x = torch.randn(5, 3, 100)      # [seq_len, batch, features]
h0 = torch.randn(2, 3, 20)      # [num_layers, batch, hidden_size]
out, h_n = rnn(x, h0)           # out [5, 3, 20], h_n [2, 3, 20]`);
