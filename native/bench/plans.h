// Plans of the layer benchmarks (LeNet, Conv+BatchNorm, char-LSTM) and of the CUDA parity
// suite's small nets, written the way the project compiler (shared/compile) lowers those
// layers: same op names, attrs, state_dict keys and PyTorch default initialisers.
// Used by nw_bench (GPU workloads) and native/tests/gpu/parity.cpp.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "plan/model.h"

namespace nwplans {

// Builds a Plan one layer at a time; every layer reads the latest value and writes a
// value named after its module, as the compiler does.
class PlanBuilder {
 public:
  nw::PlanSpec spec;
  std::string last;

  PlanBuilder& input(const std::string& name, nw::DType dtype) {
    spec.inputs.push_back({name, dtype});
    last = name;
    return *this;
  }

  PlanBuilder& linear(const std::string& name, int64_t in, int64_t out) {
    weight_and_bias(name, {out, in}, in);
    return step("linear", name, {name + ".weight", name + ".bias"}, {});
  }
  PlanBuilder& conv2d(const std::string& name, int64_t cin, int64_t cout, int64_t k, int64_t pad) {
    weight_and_bias(name, {cout, cin, k, k}, cin * k * k);
    return step("conv2d", name, {name + ".weight", name + ".bias"},
                {{"dilation", ints({1, 1})}, {"groups", int64_t(1)}, {"padding", ints({pad, pad})}, {"stride", ints({1, 1})}});
  }
  PlanBuilder& relu(const std::string& name) { return step("relu", name, {}, {}); }
  PlanBuilder& max_pool2d(const std::string& name, int64_t k) {
    return step("max_pool2d", name, {},
                {{"ceil_mode", false}, {"dilation", ints({1, 1})}, {"kernel_size", ints({k, k})}, {"padding", ints({0, 0})},
                 {"stride", ints({k, k})}});
  }
  PlanBuilder& batch_norm(const std::string& name, int64_t channels) {
    tensor(name + ".weight", {channels}, init("ones"));
    tensor(name + ".bias", {channels}, init("zeros"));
    tensor(name + ".running_mean", {channels}, init("zeros"), true);
    tensor(name + ".running_var", {channels}, init("ones"), true);
    tensor(name + ".num_batches_tracked", {}, init("zeros"), true, nw::DType::Int64);
    return step("batch_norm", name,
                {name + ".weight", name + ".bias", name + ".running_mean", name + ".running_var", name + ".num_batches_tracked"},
                {{"eps", 1e-5}, {"momentum", 0.1}, {"training", true}});
  }
  PlanBuilder& flatten(const std::string& name) {
    return step("flatten", name, {}, {{"end_dim", int64_t(-1)}, {"start_dim", int64_t(1)}});
  }
  PlanBuilder& dropout(const std::string& name, double p) { return step("dropout", name, {}, {{"p", p}, {"training", true}}); }
  PlanBuilder& embedding(const std::string& name, int64_t num, int64_t dim) {
    nw::InitSpec normal = init("normal");
    normal.b = 1.0;  // N(0, 1), nn.Embedding's default
    tensor(name + ".weight", {num, dim}, normal);
    return step("embedding", name, {name + ".weight"}, {});
  }
  // nn.LSTM(input, hidden, num_layers, batch_first=True), no initial state; outputs
  // <name>.output, <name>.h_n, <name>.c_n.
  PlanBuilder& lstm(const std::string& name, int64_t input_size, int64_t hidden, int64_t layers) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
    std::vector<std::string> keys = {"", ""};
    for (int64_t l = 0; l < layers; ++l) {
      const std::string s = std::to_string(l);
      const int64_t in = l == 0 ? input_size : hidden;
      for (auto [key, shape] : std::vector<std::pair<std::string, nw::Shape>>{
               {"weight_ih_l" + s, {4 * hidden, in}}, {"weight_hh_l" + s, {4 * hidden, hidden}},
               {"bias_ih_l" + s, {4 * hidden}}, {"bias_hh_l" + s, {4 * hidden}}}) {
        tensor(name + "." + key, shape, uniform(bound));
        keys.push_back(name + "." + key);
      }
    }
    nw::PlanStepSpec st{"lstm", name, {last}, keys, {name + ".output", name + ".h_n", name + ".c_n"},
                        {{"batch_first", true}, {"bias", true}, {"bidirectional", false}, {"dropout", int64_t(0)},
                         {"hidden_size", hidden}, {"input_size", input_size}, {"num_layers", layers}, {"training", true}}};
    spec.steps.push_back(st);
    last = name + ".output";
    return *this;
  }
  PlanBuilder& permute(const std::string& name, std::vector<int64_t> dims) {
    return step("permute", name, {}, {{"dims", dims}});
  }
  // nn.CrossEntropyLoss() against an int64 target; the latest value is the model's output.
  nw::PlanSpec cross_entropy() {
    spec.targets.push_back({"target", nw::DType::Int64});
    spec.outputs = {last};
    spec.steps.push_back({"cross_entropy", "loss1", {last, "target"}, {""}, {"loss1"},
                          {{"ignore_index", int64_t(-100)}, {"label_smoothing", int64_t(0)}, {"reduction", std::string("mean")}}});
    spec.loss = "loss1";
    return spec;
  }

 private:
  static std::vector<int64_t> ints(std::vector<int64_t> v) { return v; }
  static nw::InitSpec init(const char* kind) {
    nw::InitSpec s;
    s.kind = kind;
    return s;
  }
  static nw::InitSpec uniform(double bound) {
    nw::InitSpec s = init("uniform");
    s.a = -bound;
    s.b = bound;
    return s;
  }
  void tensor(const std::string& key, nw::Shape shape, nw::InitSpec init, bool buffer = false,
              nw::DType dtype = nw::DType::Float32) {
    nw::PlanTensorSpec t;
    t.key = key;
    t.shape = std::move(shape);
    t.dtype = dtype;
    t.init = init;
    t.trainable = !buffer;
    t.buffer = buffer;
    spec.tensors.push_back(t);
  }
  // nn.Linear / nn.Conv: kaiming_uniform_(a=sqrt(5)) weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) bias.
  void weight_and_bias(const std::string& name, nw::Shape wshape, int64_t fan_in) {
    nw::InitSpec k = init("kaiming_uniform");
    k.a = std::sqrt(5.0);
    k.fan_in = fan_in;
    const int64_t out = wshape[0];
    tensor(name + ".weight", std::move(wshape), k);
    tensor(name + ".bias", {out}, uniform(1.0 / std::sqrt(static_cast<double>(fan_in))));
  }
  PlanBuilder& step(const char* op, const std::string& name, std::vector<std::string> tensors, nw::Attrs attrs) {
    spec.steps.push_back({op, name, {last}, std::move(tensors), {name}, std::move(attrs)});
    last = name;
    return *this;
  }
};

// bench/reference/lenet.py: conv 1→6 k5 p2, ReLU, max pool 2, conv 6→16 k5, ReLU, max pool 2,
// flatten, fc 400→120→84→10; input [N, 1, 28, 28].
inline nw::PlanSpec lenet() {
  PlanBuilder b;
  b.input("x", nw::DType::Float32).conv2d("conv1", 1, 6, 5, 2).relu("relu1").max_pool2d("pool1", 2);
  b.conv2d("conv2", 6, 16, 5, 0).relu("relu2").max_pool2d("pool2", 2).flatten("flatten1");
  b.linear("fc1", 400, 120).relu("relu3").linear("fc2", 120, 84).relu("relu4").linear("fc3", 84, 10);
  return b.cross_entropy();
}

// bench/reference/convbn.py: Conv 1→32 k3 p1, MaxPool 2, ReLU, BatchNorm2d; Conv 32→64 k3 p1,
// MaxPool 2, ReLU, BatchNorm2d; Flatten; Linear 3136→128, ReLU, Dropout(p), Linear 128→10.
inline nw::PlanSpec convbn(double dropout_p) {
  PlanBuilder b;
  b.input("x", nw::DType::Float32).conv2d("c1", 1, 32, 3, 1).max_pool2d("p1", 2).relu("r1").batch_norm("bn1", 32);
  b.conv2d("c2", 32, 64, 3, 1).max_pool2d("p2", 2).relu("r2").batch_norm("bn2", 64).flatten("flatten");
  b.linear("fc1", 3136, 128).relu("r3").dropout("drop", dropout_p).linear("fc2", 128, 10);
  return b.cross_entropy();
}

// bench/reference/charlstm.py: Embedding(vocab, embed) → LSTM(embed, hidden, layers,
// batch_first) → Linear(hidden, vocab) → permute to [N, vocab, seq] for the loss.
inline nw::PlanSpec charlstm(int64_t vocab, int64_t embed, int64_t hidden, int64_t layers) {
  PlanBuilder b;
  b.input("tokens", nw::DType::Int64).embedding("embedding", vocab, embed).lstm("lstm", embed, hidden, layers);
  b.linear("decoder", hidden, vocab).permute("permute1", {0, 2, 1});
  return b.cross_entropy();
}

}  // namespace nwplans
