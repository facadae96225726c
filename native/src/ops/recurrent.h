// The configuration of the recurrent ops (rnn, lstm, gru), shared by the CPU
// implementation (recurrent.cpp) and the CUDA one (cuda/recurrent.cu): argument checks,
// the input layout (x, h0, [c0], weights per layer and direction, PyTorch's order) and
// the saved-tensor layout, so both devices agree on every rule and message.
#pragma once

#include "core/op.h"

namespace nw::rnn {

enum class Mode { RnnTanh, RnnRelu, Lstm, Gru };

struct Config {
  Mode mode = Mode::Lstm;
  const char* name = "lstm";
  int64_t L = 1, D = 1, H = 0, I = 0, T = 0, N = 0, G = 1;
  bool bias = true, batch_first = false, unbatched = false, training = false;
  double dropout = 0;
  int state_inputs = 1;  // h0 (+ c0 for LSTM)
  int64_t per_dir = 4;   // weights per layer and direction
  bool has_cell() const { return mode == Mode::Lstm; }
  bool dropping() const { return training && dropout > 0 && L > 1; }
  int64_t in_size(int64_t l) const { return l == 0 ? I : D * H; }
  int64_t weight_index(int64_t l, int64_t d) const { return 1 + state_inputs + (l * D + d) * per_dir; }
};

// Checks the op's inputs and attributes (E_ARG, E_ARITY, E_SHAPE, E_DTYPE) and returns the
// configuration. `mode` is RnnTanh for the rnn op (the nonlinearity attribute picks relu).
Config make_config(Mode mode, const TensorList& in, const Attrs& at);

// Saved-tensor layout: [x_tm, h0, c0, per layer (Y, Xnext, mask), per layer-dir (gates, C), weights...]
struct Slots {
  int64_t x = 0, h0 = 1, c0 = 2, layers = 3, dirs, weights;
  explicit Slots(const Config& c) : dirs(3 + 3 * c.L), weights(3 + 3 * c.L + 2 * c.L * c.D) {}
  int64_t y(int64_t l) const { return layers + 3 * l; }
  int64_t xnext(int64_t l) const { return layers + 3 * l + 1; }
  int64_t mask(int64_t l) const { return layers + 3 * l + 2; }
  int64_t gates(const Config& c, int64_t l, int64_t d) const { return dirs + 2 * (l * c.D + d); }
  int64_t cell(const Config& c, int64_t l, int64_t d) const { return dirs + 2 * (l * c.D + d) + 1; }
};

// The configuration rebuilt in backward from the attributes and the saved tensors `sv`
// (time-major x [T, N, I] and h0 [L*D, N, H]); the inputs themselves are not kept.
Config saved_config(Mode mode, const OpContext& ctx, const TensorList& sv);

}  // namespace nw::rnn
