// Generic CPU loops shared by the op files: map a lambda over one, two or three
// (broadcast) operands into a fresh contiguous output. Contiguous runs get a
// plain indexed loop the compiler vectorises.
#pragma once

#include "core/iter.h"
#include "core/tensor.h"
#include "cpu/parallel.h"

namespace nw::kern {

constexpr int64_t kGrain = 32768;  // elements per parallel chunk

// out[i] = f(in[i]); out is a fresh tensor (never aliases in).
template <typename Tin, typename Tout, typename F>
void map1(const Tensor& out, const Tensor& in, F f) {
  Tout* o = out.data<Tout>();
  if (in.is_contiguous()) {
    const Tin* p = in.data<Tin>();
    cpu::parallel_for(0, out.numel(), kGrain, [&](int64_t b, int64_t e) {
      const Tin* __restrict src = p;
      Tout* __restrict dst = o;
      for (int64_t i = b; i < e; ++i) dst[i] = f(src[i]);
    });
    return;
  }
  const Tin* base = static_cast<const Tin*>(in.impl()->storage->data);
  Tensor oc = out;  // out is contiguous
  strided_loop<2>(out.sizes(), {oc.strides(), in.strides()}, {out.offset(), in.offset()},
                  [&](const std::array<int64_t, 2>& off, const std::array<int64_t, 2>& st, int64_t n) {
                    Tout* po = static_cast<Tout*>(out.impl()->storage->data) + off[0];
                    const Tin* pi = base + off[1];
                    for (int64_t i = 0; i < n; ++i) po[i * st[0]] = f(pi[i * st[1]]);
                  });
}

// out = f(a, b) with a and b broadcast to out's shape.
template <typename Ta, typename Tb, typename Tout, typename F>
void map2(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  Tout* o = out.data<Tout>();
  const int64_t n = out.numel();
  if (a.sizes() == out.sizes() && b.sizes() == out.sizes() && a.is_contiguous() && b.is_contiguous()) {
    const Ta* pa = a.data<Ta>();
    const Tb* pb = b.data<Tb>();
    // out may be `a` itself (in-place add_): no restrict here.
    cpu::parallel_for(0, n, kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (b.numel() == 1 && a.sizes() == out.sizes() && a.is_contiguous()) {
    const Ta* pa = a.data<Ta>();
    const Tb sb = *b.data<Tb>();
    cpu::parallel_for(0, n, kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(pa[i], sb);
    });
    return;
  }
  if (a.numel() == 1 && b.sizes() == out.sizes() && b.is_contiguous()) {
    const Ta sa = *a.data<Ta>();
    const Tb* pb = b.data<Tb>();
    cpu::parallel_for(0, n, kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(sa, pb[i]);
    });
    return;
  }
  const Ta* ba = static_cast<const Ta*>(a.impl()->storage->data);
  const Tb* bb = static_cast<const Tb*>(b.impl()->storage->data);
  Shape sa = broadcast_strides(a, out.sizes());
  Shape sb = broadcast_strides(b, out.sizes());
  strided_loop<3>(out.sizes(), {out.strides(), sa, sb}, {out.offset(), a.offset(), b.offset()},
                  [&](const std::array<int64_t, 3>& off, const std::array<int64_t, 3>& st, int64_t len) {
                    Tout* po = static_cast<Tout*>(out.impl()->storage->data) + off[0];
                    const Ta* pa = ba + off[1];
                    const Tb* pb = bb + off[2];
                    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                      for (int64_t i = 0; i < len; ++i) po[i] = f(pa[i], pb[i]);
                    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                      const Tb v = *pb;
                      for (int64_t i = 0; i < len; ++i) po[i] = f(pa[i], v);
                    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                      const Ta v = *pa;
                      for (int64_t i = 0; i < len; ++i) po[i] = f(v, pb[i]);
                    } else {
                      for (int64_t i = 0; i < len; ++i) po[i * st[0]] = f(pa[i * st[1]], pb[i * st[2]]);
                    }
                  });
}

// out = f(a, b, c), all broadcast to out's shape.
template <typename Ta, typename Tb, typename Tc, typename Tout, typename F>
void map3(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  const Ta* ba = static_cast<const Ta*>(a.impl()->storage->data);
  const Tb* bb = static_cast<const Tb*>(b.impl()->storage->data);
  const Tc* bc = static_cast<const Tc*>(c.impl()->storage->data);
  Shape sa = broadcast_strides(a, out.sizes());
  Shape sb = broadcast_strides(b, out.sizes());
  Shape sc = broadcast_strides(c, out.sizes());
  strided_loop<4>(out.sizes(), {out.strides(), sa, sb, sc}, {out.offset(), a.offset(), b.offset(), c.offset()},
                  [&](const std::array<int64_t, 4>& off, const std::array<int64_t, 4>& st, int64_t len) {
                    Tout* po = static_cast<Tout*>(out.impl()->storage->data) + off[0];
                    for (int64_t i = 0; i < len; ++i)
                      po[i * st[0]] = f(ba[off[1] + i * st[1]], bb[off[2] + i * st[2]], bc[off[3] + i * st[3]]);
                  });
}

// map1/map2/map3 as a policy type, for the rules the CPU ops share with the CUDA ones
// (ops/elementwise_args.h, ops/activations.h).
struct Maps {
  template <typename... T, typename... A> static void map1(const A&... a) { kern::map1<T...>(a...); }
  template <typename... T, typename... A> static void map2(const A&... a) { kern::map2<T...>(a...); }
  template <typename... T, typename... A> static void map3(const A&... a) { kern::map3<T...>(a...); }
};

}  // namespace nw::kern
