// NW_HOST_DEVICE marks the helpers of the op argument headers (pool_args.h,
// upsample_args.h) that the CPU loops and the CUDA kernels both call.
#pragma once

#if defined(__CUDACC__)
#define NW_HOST_DEVICE __host__ __device__
#else
#define NW_HOST_DEVICE
#endif
