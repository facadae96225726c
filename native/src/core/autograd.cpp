// Autograd engine: op dispatch with tape recording, backward and autograd.grad.
#include "autograd.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "ops/ops.h"

namespace nw {

static thread_local bool tls_grad_enabled = true;
static std::atomic<uint64_t> g_sequence{0};

bool grad_enabled() { return tls_grad_enabled; }
void set_grad_enabled(bool enabled) { tls_grad_enabled = enabled; }
NoGradGuard::NoGradGuard() : prev_(tls_grad_enabled) { tls_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { tls_grad_enabled = prev_; }
EnableGradGuard::EnableGradGuard() : prev_(tls_grad_enabled) { tls_grad_enabled = true; }
EnableGradGuard::~EnableGradGuard() { tls_grad_enabled = prev_; }

std::shared_ptr<Node> new_node(const OpDef* op) {
  auto n = std::make_shared<Node>();
  n->op = op;
  n->sequence = g_sequence.fetch_add(1);
  return n;
}

// Leaves keep their AccumulateGrad node alive through the graph that uses them;
// a weak cache makes every use of one leaf share the same node.
static std::unordered_map<TensorImpl*, std::weak_ptr<Node>>& accumulator_cache() {
  static thread_local std::unordered_map<TensorImpl*, std::weak_ptr<Node>> cache;
  return cache;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (t.grad_fn()) return Edge{t.grad_fn(), t.impl()->output_nr};
  auto& cache = accumulator_cache();
  auto it = cache.find(t.impl());
  if (it != cache.end()) {
    if (auto n = it->second.lock()) {
      if (n->leaf.lock().get() == t.impl()) return Edge{n, 0};
    }
  }
  auto n = new_node(nullptr);
  n->leaf = t.shared();
  n->output_shapes = {t.sizes()};
  n->output_dtypes = {t.dtype()};
  if (cache.size() > 4096) {  // drop dead entries now and then
    for (auto i = cache.begin(); i != cache.end();) i = i->second.expired() ? cache.erase(i) : std::next(i);
  }
  cache[t.impl()] = n;
  return Edge{n, 0};
}

TensorList call_op(const std::string& name, const TensorList& inputs, const Attrs& attrs) {
  const OpDef* op = find_op(name);
  NW_CHECK(op != nullptr, "E_UNKNOWN_OP", "unknown op '" + name + "'");
  return call_op(*op, inputs, attrs);
}

// The device an op runs on: that of its tensor inputs, which must agree (PyTorch's
// rule; to_device is the one op that moves data between devices).
static Device op_device(const OpDef& op, const TensorList& inputs) {
  const Tensor* first = nullptr;
  for (const auto& t : inputs) {
    if (!t.defined()) continue;
    if (!first) {
      first = &t;
    } else if (t.device() != first->device() && !op.cross_device) {
      throw Error("E_DEVICE", std::string(op.name) + " got tensors on different devices (" + first->device().str() +
                                  " and " + t.device().str() + "); move them to one device first with .to()");
    }
  }
  return first ? first->device() : Device{};
}

static thread_local std::vector<OpCall>* tls_trace = nullptr;
static thread_local int tls_op_depth = 0;
void trace_op_calls(std::vector<OpCall>* into) { tls_trace = into; }

namespace {
struct OpDepth {
  OpDepth() { ++tls_op_depth; }
  ~OpDepth() { --tls_op_depth; }
  OpDepth(const OpDepth&) = delete;
  OpDepth& operator=(const OpDepth&) = delete;
};
}  // namespace

TensorList call_op(const OpDef& requested, const TensorList& inputs, const Attrs& attrs) {
  if (tls_trace) tls_trace->push_back({requested.name, tls_op_depth});
  const OpDepth depth;  // ops that this one's forward calls are one level deeper
  const Device device = op_device(requested, inputs);
  const OpDef* impl = op_for_device(requested, device);
  NW_CHECK(impl != nullptr, "E_UNSUPPORTED",
           std::string("op '") + requested.name + "' is not supported on " + device.str() +
               " in this build; move its inputs to the CPU with .to('cpu') or train on cpu");
  const OpDef& op = *impl;
  if (op.num_inputs >= 0) {
    NW_CHECK(static_cast<int>(inputs.size()) == op.num_inputs, "E_ARITY",
             std::string(op.name) + " takes " + std::to_string(op.num_inputs) + " tensor input(s), got " +
                 std::to_string(inputs.size()));
  }
  if (op.grad == GradKind::Composite) {
    OpContext ctx;
    return op.forward(ctx, inputs, attrs);
  }
  bool need_grad = false;
  if (op.grad == GradKind::Differentiable && grad_enabled()) {
    for (const auto& t : inputs)
      if (t.defined() && t.requires_grad()) need_grad = true;
  }
  OpContext ctx;
  ctx.attrs = attrs;
  if (need_grad) {
    ctx.input_shapes.reserve(inputs.size());
    for (const auto& t : inputs) {
      ctx.input_shapes.push_back(t.defined() ? t.sizes() : Shape{});
      ctx.input_dtypes.push_back(t.defined() ? t.dtype() : DType::Float32);
      ctx.needs_input_grad.push_back(t.defined() && t.requires_grad());
    }
  }
  TensorList out;
  {
    NoGradGuard guard;
    out = op.forward(ctx, inputs, attrs);
  }
  // An op may hand back one of its inputs unchanged; give it its own impl so
  // autograd metadata never lands on the caller's tensor.
  for (auto& o : out) {
    for (const auto& in : inputs)
      if (o.defined() && in.defined() && o.impl() == in.impl()) o = o.detach();
  }
  if (!need_grad) return out;
  auto node = new_node(&op);
  node->ctx = std::move(ctx);
  node->next.reserve(inputs.size());
  for (const auto& t : inputs) node->next.push_back(gradient_edge(t));
  node->num_outputs = static_cast<int>(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    node->output_shapes.push_back(out[i].defined() ? out[i].sizes() : Shape{});
    node->output_dtypes.push_back(out[i].defined() ? out[i].dtype() : DType::Float32);
    if (out[i].defined() && is_floating(out[i].dtype())) {
      out[i].impl()->grad_fn = node;
      out[i].impl()->output_nr = static_cast<int>(i);
      out[i].impl()->requires_grad = true;
    }
  }
  return out;
}

namespace {

struct NodeCompare {
  bool operator()(const Node* a, const Node* b) const { return a->sequence < b->sequence; }
};

// One backward pass. When `capture` is non-empty, gradients arriving at those
// (node, input_nr) slots are returned and AccumulateGrad nodes are not run.
struct GraphTask {
  bool retain_graph = false;
  bool accumulate = true;
  std::unordered_map<Node*, TensorList> buffers;
  std::unordered_map<Node*, int> dependencies;
  std::unordered_set<Node*> needed;  // empty = all reachable
  std::vector<std::pair<Node*, int>> capture;
  TensorList captured;

  void add_to_buffer(Node* n, int slot, const Tensor& g) {
    auto& buf = buffers[n];
    if (buf.empty()) buf.resize(std::max(1, n->num_outputs));
    if (!buf[slot].defined())
      buf[slot] = g;
    else
      buf[slot] = ops::add(buf[slot], g);
  }
};

// Counts, for every node reachable from the roots, how many edges point at it.
// One traversal over all roots: a shared subgraph must be counted once.
void collect_dependencies(const std::vector<Node*>& roots, GraphTask& task) {
  std::vector<Node*> stack(roots.begin(), roots.end());
  std::unordered_set<Node*> seen(roots.begin(), roots.end());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next) {
      if (!e.node) continue;
      task.dependencies[e.node.get()]++;
      if (seen.insert(e.node.get()).second) stack.push_back(e.node.get());
    }
  }
}

bool mark_needed(Node* n, const std::unordered_set<Node*>& targets, std::unordered_map<Node*, bool>& memo) {
  auto it = memo.find(n);
  if (it != memo.end()) return it->second;
  memo[n] = false;
  bool need = targets.count(n) != 0;
  for (auto& e : n->next)
    if (e.node && mark_needed(e.node.get(), targets, memo)) need = true;
  memo[n] = need;
  return need;
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.sizes() == shape) return g;
  return ops::sum_to(g, shape);
}

void run_backward(GraphTask& task, const TensorList& outputs, const TensorList& grad_outputs) {
  std::priority_queue<Node*, std::vector<Node*>, NodeCompare> ready;
  std::vector<Node*> roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    NW_CHECK(out.defined() && out.requires_grad(), "E_AUTOGRAD",
             "element " + std::to_string(i) +
                 " of the outputs does not require grad and has no grad_fn; nothing to differentiate");
    Tensor g = grad_outputs.size() > i ? grad_outputs[i] : Tensor();
    if (!g.defined()) {
      NW_CHECK(out.numel() == 1, "E_AUTOGRAD",
               "grad can be created implicitly only for scalar outputs; pass a gradient of shape " +
                   shape_str(out.sizes()));
      g = ones(out.sizes(), out.dtype(), out.device());
    } else {
      NW_CHECK(g.sizes() == out.sizes(), "E_SHAPE",
               "gradient shape " + shape_str(g.sizes()) + " does not match output shape " + shape_str(out.sizes()));
    }
    Edge e = gradient_edge(out);
    task.add_to_buffer(e.node.get(), e.input_nr, g);
    // NOTE: two outputs of one op share a node; count its dependencies once.
    if (std::find(roots.begin(), roots.end(), e.node.get()) == roots.end()) roots.push_back(e.node.get());
  }
  collect_dependencies(roots, task);
  if (!task.capture.empty()) {
    std::unordered_set<Node*> targets;
    for (auto& c : task.capture) targets.insert(c.first);
    std::unordered_map<Node*, bool> memo;
    for (Node* r : roots) mark_needed(r, targets, memo);
    for (auto& kv : memo)
      if (kv.second) task.needed.insert(kv.first);
  }
  std::unordered_set<Node*> queued;
  for (Node* r : roots)
    if (task.dependencies[r] == 0 && queued.insert(r).second) ready.push(r);

  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    TensorList grads = std::move(task.buffers[n]);
    task.buffers.erase(n);
    for (size_t c = 0; c < task.capture.size(); ++c)
      if (task.capture[c].first == n && static_cast<size_t>(task.capture[c].second) < grads.size())
        task.captured[c] = grads[task.capture[c].second];
    bool run = task.needed.empty() || task.needed.count(n);
    if (run && n->op == nullptr) {
      if (task.accumulate) {
        auto leaf = n->leaf.lock();
        if (leaf && grads.size() && grads[0].defined()) {
          Tensor g = sum_to_shape(grads[0], leaf->sizes);
          if (!leaf->grad.defined()) {
            leaf->grad = g.clone();
          } else {
            ops::add_(leaf->grad, g);
          }
        }
      }
    } else if (run) {
      NW_CHECK(!n->released, "E_AUTOGRAD",
               std::string("trying to backward through the graph a second time (op ") + n->name() +
                   "); pass retain_graph=true to the first backward");
      // Outputs no gradient reached get zeros on the device of those that did.
      Device grad_device{};
      for (const Tensor& t : grads)
        if (t.defined()) {
          grad_device = t.device();
          break;
        }
      for (int i = 0; i < n->num_outputs; ++i) {
        if (static_cast<size_t>(i) >= grads.size()) grads.resize(i + 1);
        if (!grads[i].defined() && is_floating(n->output_dtypes[i]))
          grads[i] = zeros(n->output_shapes[i], n->output_dtypes[i], grad_device);
      }
      TensorList in_grads = n->op->backward(n->ctx, grads);
      NW_CHECK(in_grads.size() == n->next.size(), "E_INTERNAL",
               std::string("backward of ") + n->name() + " returned the wrong number of gradients");
      for (size_t i = 0; i < n->next.size(); ++i) {
        const Edge& e = n->next[i];
        if (!e.node || !in_grads[i].defined()) continue;
        Tensor g = in_grads[i];
        const Shape& want = n->ctx.input_shapes[i];
        if (g.sizes() != want) g = sum_to_shape(g, want);
        if (g.dtype() != n->ctx.input_dtypes[i]) g = to_dtype(g, n->ctx.input_dtypes[i]);
        task.add_to_buffer(e.node.get(), e.input_nr, g);
      }
      if (!task.retain_graph) {
        n->ctx = OpContext{};
        n->released = true;
      }
    }
    for (auto& e : n->next) {
      if (!e.node) continue;
      if (--task.dependencies[e.node.get()] == 0 && queued.insert(e.node.get()).second) ready.push(e.node.get());
    }
  }
}

}  // namespace

void backward(const TensorList& outputs, const TensorList& grad_outputs, bool retain_graph) {
  NoGradGuard guard;
  GraphTask task;
  task.retain_graph = retain_graph;
  run_backward(task, outputs, grad_outputs);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph, bool allow_unused) {
  NoGradGuard guard;
  GraphTask task;
  task.retain_graph = retain_graph;
  task.accumulate = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    NW_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "E_AUTOGRAD",
             "input " + std::to_string(i) + " does not require grad");
    Edge e = gradient_edge(inputs[i]);
    task.capture.emplace_back(e.node.get(), e.input_nr);
  }
  task.captured.resize(inputs.size());
  // Keep the accumulators of leaf inputs alive for the duration of the pass.
  std::vector<std::shared_ptr<Node>> keep;
  for (const auto& t : inputs) keep.push_back(gradient_edge(t).node);
  run_backward(task, outputs, grad_outputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!task.captured[i].defined()) {
      NW_CHECK(allow_unused, "E_AUTOGRAD",
               "input " + std::to_string(i) + " was not used to compute the outputs; pass allow_unused=true");
      continue;
    }
    if (task.captured[i].sizes() != inputs[i].sizes())
      task.captured[i] = sum_to_shape(task.captured[i], inputs[i].sizes());
  }
  return task.captured;
}

}  // namespace nw
