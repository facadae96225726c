// NW_HOST_DEVICE marks the helpers of the op rule headers (pool_args.h, upsample_args.h,
// activations.h, recurrent.h, ...) that the CPU loops and the CUDA kernels both call.
// NW_HOST_DEVICE_INLINE is the same, always inlined: the CPU's per-ISA loop clones
// (target_clones) only vectorise what is inlined into them.
#pragma once

#if defined(__CUDACC__)
#define NW_HOST_DEVICE __host__ __device__
#define NW_HOST_DEVICE_INLINE __host__ __device__ __forceinline__
#elif defined(__GNUC__)
#define NW_HOST_DEVICE
#define NW_HOST_DEVICE_INLINE inline __attribute__((always_inline))
#else
#define NW_HOST_DEVICE
#define NW_HOST_DEVICE_INLINE inline
#endif
