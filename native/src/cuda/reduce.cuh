// A general "reduce O outputs over rows of R elements" on CUDA, used by the reductions
// (sum, mean, max/min, var, ...) and by the losses' per-row sums.
//
// An Op describes one reduction:
//   using acc_t = ...;                                   // trivially copyable accumulator
//   __device__ acc_t identity() const;
//   __device__ int64_t row(int64_t o) const;             // per-output base (hoisted out of the loop)
//   __device__ acc_t step(acc_t a, int64_t row, int64_t r) const;  // fold element r of the row
//   __device__ acc_t merge(acc_t a, acc_t b) const;      // associative; order-independent results
//   __device__ void finish(int64_t o, acc_t a) const;    // write output o
//
// Long contiguous rows get a warp per output; short or strided rows a thread per output
// (neighbouring threads on neighbouring outputs, so column reductions read coalesced).
// When there are too few outputs to fill the GPU, each row is split into chunks whose
// partial accumulators a second kernel merges.
#pragma once

#include "cuda/math.cuh"

namespace nw::cuda {

namespace reduce_detail {

constexpr int kBlock = 256;
constexpr int kWarpsPerBlock = kBlock / 32;
constexpr int64_t kMaxSplits = 4096;
constexpr int64_t kMaxBlocks = 1 << 20;  // grid-stride loops cover the rest

template <typename Op>
__global__ void __launch_bounds__(kBlock) warp_kernel(Op op, int64_t O, int64_t R, int64_t S, int64_t chunk,
                                                     typename Op::acc_t* partial) {
  using acc_t = typename Op::acc_t;
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  const int64_t items = O * S;
  // `item` is the same for all lanes of a warp, so whole warps enter and leave the loop.
  for (int64_t item = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5); item < items;
       item += nwarps) {
    const int64_t o = item / S, s = item % S;
    const int64_t begin = s * chunk;
    const int64_t end = begin + chunk < R ? begin + chunk : R;
    const int64_t row = op.row(o);
    acc_t acc = op.identity();
    for (int64_t r = begin + lane; r < end; r += 32) acc = op.step(acc, row, r);
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc = op.merge(acc, shfl_down_any(acc, off));
    if (lane == 0) {
      if (S == 1) op.finish(o, acc);
      else partial[o * S + s] = acc;
    }
  }
}

template <typename Op>
__global__ void __launch_bounds__(kBlock) thread_kernel(Op op, int64_t O, int64_t R, int64_t S, int64_t chunk,
                                                       typename Op::acc_t* partial) {
  using acc_t = typename Op::acc_t;
  const int64_t items = O * S;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; item < items; item += stride) {
    const int64_t s = item / O, o = item % O;  // outputs fastest: neighbouring threads, neighbouring outputs
    const int64_t begin = s * chunk;
    const int64_t end = begin + chunk < R ? begin + chunk : R;
    const int64_t row = op.row(o);
    acc_t acc = op.identity();
    for (int64_t r = begin; r < end; ++r) acc = op.step(acc, row, r);
    if (S == 1) op.finish(o, acc);
    else partial[o * S + s] = acc;
  }
}

template <typename Op>
__global__ void __launch_bounds__(kBlock) finalize_kernel(Op op, int64_t O, int64_t S,
                                                         const typename Op::acc_t* partial) {
  using acc_t = typename Op::acc_t;
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5); o < O; o += nwarps) {
    acc_t acc = op.identity();
    for (int64_t s = lane; s < S; s += 32) acc = op.merge(acc, partial[o * S + s]);
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc = op.merge(acc, shfl_down_any(acc, off));
    if (lane == 0) op.finish(o, acc);
  }
}

inline unsigned grid_for(int64_t threads) {
  int64_t b = (threads + kBlock - 1) / kBlock;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b > kMaxBlocks ? kMaxBlocks : b);
}

}  // namespace reduce_detail

// Runs `op` for O outputs of R elements each. `rows_contiguous`: element r of a row
// sits at row + r (consecutive elements adjacent in memory).
template <typename Op>
void run_reduce(int device, const Op& op, int64_t O, int64_t R, bool rows_contiguous) {
  using namespace reduce_detail;
  using acc_t = typename Op::acc_t;
  if (O <= 0) return;
  const int64_t sms = sm_count(device);
  const bool warp_mode = rows_contiguous && R >= 32;
  // Enough independent work items to fill every SM (2048 resident threads each).
  const int64_t want = warp_mode ? sms * (2048 / 32) : sms * 2048;
  const int64_t min_chunk = warp_mode ? 512 : 64;  // elements per item worth a split
  int64_t S = 1;
  if (O < want && R > min_chunk) {
    S = (want + O - 1) / O;
    const int64_t by_size = R / min_chunk;
    if (S > by_size) S = by_size;
    if (S > kMaxSplits) S = kMaxSplits;
    if (S < 1) S = 1;
  }
  int64_t chunk = R;
  if (S > 1) {
    chunk = (R + S - 1) / S;
    S = (R + chunk - 1) / chunk;
  }
  Tensor workspace;
  acc_t* partial = nullptr;
  if (S > 1) {
    workspace = empty({static_cast<int64_t>(O * S * static_cast<int64_t>(sizeof(acc_t)))}, DType::UInt8,
                      Device{DeviceType::CUDA, device});
    partial = static_cast<acc_t*>(workspace.raw_data());
  }
  cudaStream_t st = stream(device);
  if (warp_mode) warp_kernel<Op><<<grid_for(O * S * 32), kBlock, 0, st>>>(op, O, R, S, chunk, partial);
  else thread_kernel<Op><<<grid_for(O * S), kBlock, 0, st>>>(op, O, R, S, chunk, partial);
  NW_CUDA_LAUNCHED();
  if (S > 1) {
    finalize_kernel<Op><<<grid_for(O * 32), kBlock, 0, st>>>(op, O, S, partial);
    NW_CUDA_LAUNCHED();
  }
  // `workspace` returns to the cache here; the stream orders its reuse after these kernels.
}

// ---- reading a reduction's input: kept dims index rows, reduced dims index elements ----
template <typename T>
struct RowReader {
  const T* p;
  Indexer outer;  // kept dims (offset = the tensor's offset)
  Indexer inner;  // reduced dims (offset 0)
  __device__ int64_t row(int64_t o) const { return outer.at(o); }
  __device__ T load(int64_t row, int64_t r) const { return p[row + inner.at(r)]; }
};

// Splits `t`'s dims into kept (rows) and reduced (elements), both in t's dim order.
template <typename T>
RowReader<T> row_reader(const Tensor& t, const std::vector<bool>& reduced, bool* rows_contiguous) {
  int64_t osz[kMaxDims], ost[kMaxDims], isz[kMaxDims], ist[kMaxDims];
  int no = 0, ni = 0;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (reduced[d]) {
      isz[ni] = t.sizes()[d];
      ist[ni++] = t.strides()[d];
    } else {
      osz[no] = t.sizes()[d];
      ost[no++] = t.strides()[d];
    }
  }
  RowReader<T> rr;
  rr.p = base_ptr<const T>(t);
  rr.outer = make_indexer(osz, ost, no, t.offset());
  rr.inner = make_indexer(isz, ist, ni, 0);
  // Rows are contiguous when the reduced dims collapse to one dim of stride 1; a 0-dim
  // inner indexer (one element, or a broadcast row) reads one address for every r.
  *rows_contiguous = rr.inner.contiguous || rr.inner.ndim == 0;
  return rr;
}

}  // namespace nw::cuda
