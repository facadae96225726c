// The rules of the elementwise ops, shared by the CPU ops (elementwise.cpp) and the CUDA
// ones (cuda/elementwise.cu): type promotion (ops::result_type), broadcasting, which
// dtype each kind of op computes and returns in, the attributes' defaults and the
// argument errors. A device supplies only its maps, as a policy `Map` with
// map1<Tin, Tout>(out, in, f), map2<Ta, Tb, Tout>(out, a, b, f) and
// map3<Ta, Tb, Tc, Tout>(out, a, b, c, f) writing f of the broadcast operands into out.
#pragma once

#include "ops/host_device.h"
#include "core/iter.h"
#include "core/op.h"
#include "ops/ops.h"

namespace nw::elementwise {

inline Tensor cast(const Tensor& t, DType d) { return t.dtype() == d ? t : to_dtype(t, d); }

template <class Map>
struct Rules {
  // out = f(a, b) in dtype `compute` (both operands converted first), broadcasting.
  template <typename F>
  static Tensor binary(const Tensor& a, const Tensor& b, DType compute, F f) {
    Tensor ac = cast(a, compute), bc = cast(b, compute);
    Tensor out = empty(broadcast_shapes(a.sizes(), b.sizes()), compute, a.device());
    NW_DISPATCH_ALL(compute, [&] { Map::template map2<scalar_t, scalar_t, scalar_t>(out, ac, bc, f); });
    return out;
  }
  // A comparison: both operands in their result type, a bool result.
  template <typename F>
  static Tensor compare(const Tensor& a, const Tensor& b, F f) {
    DType compute = ops::result_type(a, b);
    Tensor ac = cast(a, compute), bc = cast(b, compute);
    Tensor out = empty(broadcast_shapes(a.sizes(), b.sizes()), DType::Bool, a.device());
    NW_DISPATCH_ALL(compute, [&] { Map::template map2<scalar_t, scalar_t, bool>(out, ac, bc, f); });
    return out;
  }
  // Unary float math: integer and bool inputs are computed (and returned) as float32.
  template <typename F>
  static Tensor unary_float(const Tensor& a, const char* name, F f) {
    DType d = is_floating(a.dtype()) ? a.dtype() : DType::Float32;
    Tensor ac = cast(a, d);
    Tensor out = empty(a.sizes(), d, a.device());
    NW_DISPATCH_FLOAT(d, name, [&] { Map::template map1<scalar_t, scalar_t>(out, ac, f); });
    return out;
  }
  // Unary op in the input's own dtype.
  template <typename F>
  static Tensor unary_same(const Tensor& a, F f) {
    Tensor out = empty(a.sizes(), a.dtype(), a.device());
    NW_DISPATCH_ALL(a.dtype(), [&] { Map::template map1<scalar_t, scalar_t>(out, a, f); });
    return out;
  }
  // A unary float op whose backward reads its output (save_output) or its input.
  template <typename F>
  static TensorList unary_float_op(OpContext& ctx, const Tensor& x, const char* name, F f, bool save_output) {
    Tensor out = unary_float(x, name, f);
    ctx.save({save_output ? out : x});
    return {out};
  }
  // where(cond, a, b) with f(c, x, y) = c ? x : y, in the result type of a and b.
  template <typename F>
  static Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y, F f) {
    DType rt = ops::result_type(x, y);
    Tensor a = cast(x, rt), b = cast(y, rt);
    Tensor out = empty(broadcast_shapes(cond.sizes(), broadcast_shapes(a.sizes(), b.sizes())), rt, a.device());
    NW_DISPATCH_ALL(rt, [&] { Map::template map3<bool, scalar_t, scalar_t, scalar_t>(out, cond, a, b, f); });
    return out;
  }
};

// x ** e for an integer type, by squaring and wrapping in T as the integer product does;
// a negative exponent gives 0 (an error in PyTorch).
template <typename T>
NW_HOST_DEVICE inline T int_pow(T x, int64_t e) {
  if (e < 0) return static_cast<T>(0);
  T r = 1, base = x;
  for (; e; e >>= 1) {
    if (e & 1) r = static_cast<T>(r * base);
    base = static_cast<T>(base * base);
  }
  return r;
}

// add/sub's `alpha` (scales b), 1 by default.
double alpha_of(const Attrs& at);
// E_DTYPE for sub of bools, neg of a bool tensor, where with a non-bool condition.
void check_sub(DType result);
void check_neg(const Tensor& a);
void check_where(const Tensor& cond);
// div is true division: integer operands divide as float32.
DType div_dtype(const Tensor& a, const Tensor& b);
// clamp's `min` and `max` (unbounded by default).
struct ClampRange {
  double lo, hi;
};
ClampRange clamp_range(const Attrs& at);
// pow_scalar of an integer tensor to a non-negative integral power stays integral, as in torch.pow.
bool integral_power(DType dt, double exponent);

}  // namespace nw::elementwise
