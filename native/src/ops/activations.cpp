// Activation functions (torch.nn.functional names and defaults), forward and backward:
// the rules of ops/activations.h over the CPU's elementwise loops.
#include "ops/activations.h"

#include "core/autograd.h"
#include "kernels.h"
#include "ops.h"

namespace nw {
namespace {

// The maps for the forward; the gradient dx = g * rule.d(x, y) (the input for y when y is
// undefined) in one parallel loop over contiguous operands, which vectorises where
// kern::map3's strided walk would not.
struct CpuAct {
  using Maps = kern::Maps;

  template <typename R>
  static Tensor act_grad(const Tensor& g, const Tensor& x, const Tensor& y, const char* name, R rule) {
    Tensor out = empty(g.sizes(), g.dtype(), g.device());
    Tensor xc = x.contiguous(), yc = y.defined() ? y.contiguous() : x.contiguous(), gc = g.contiguous();
    NW_DISPATCH_FLOAT(g.dtype(), name, [&] {
      const scalar_t* px = xc.data<scalar_t>();
      const scalar_t* py = yc.data<scalar_t>();
      const scalar_t* pg = gc.data<scalar_t>();
      scalar_t* po = out.data<scalar_t>();
      cpu::parallel_for(0, out.numel(), kern::kGrain, [&](int64_t b, int64_t e) {
        // NOTE: restrict locals let the compiler vectorise; captured pointers would be reloaded every iteration.
        const scalar_t* __restrict X = px;
        const scalar_t* __restrict Y = py;
        const scalar_t* __restrict G = pg;
        scalar_t* __restrict O = po;
        for (int64_t i = b; i < e; ++i) O[i] = G[i] * rule.template d<scalar_t>(X[i], Y[i]);
      });
    });
    return out;
  }
};

#define NW_CPU_ACTIVATION(NAME, RULE, DOC) NW_ACTIVATION_FUNCTIONS(CpuAct, NAME, RULE)
NW_ACTIVATIONS(NW_CPU_ACTIVATION)
#undef NW_CPU_ACTIVATION

}  // namespace

#define NW_ACTIVATION_OPDEF(NAME, RULE, DOC) \
  const OpDef op_##NAME = {#NAME, 1, GradKind::Differentiable, NAME##_forward, NAME##_backward, DOC};
NW_ACTIVATIONS(NW_ACTIVATION_OPDEF)
#undef NW_ACTIVATION_OPDEF

namespace ops {
Tensor relu(const Tensor& a) { return call_op(op_relu, {a})[0]; }
Tensor sigmoid(const Tensor& a) { return call_op(op_sigmoid, {a})[0]; }
Tensor tanh(const Tensor& a) { return call_op(op_tanh, {a})[0]; }
}  // namespace ops
}  // namespace nw
