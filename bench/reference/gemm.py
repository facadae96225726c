# Reference GEMM throughput: numpy matmul (float32), best of repeats, one JSON line.
# Run by bench/gemm.mjs with /usr/bin/python3; thread count comes from the environment.
import json
import os
import sys

from timing import best_seconds

try:
    import numpy as np
except ImportError:
    print(json.dumps({"error": "numpy is not installed for " + sys.executable}))
    sys.exit(0)


def blas_library():
    # The BLAS numpy actually loaded (netlib, OpenBLAS, MKL, BLIS...), from our own maps.
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if "/" in line else ""
            base = os.path.basename(path).lower()
            if any(s in base for s in ("blas", "mkl", "blis", "lapack")) and "lapack" not in base:
                libs.add(os.path.realpath(path))
    return sorted(libs)


def main():
    n = int(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(42)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    c = a @ b  # warm up
    flops = 2.0 * n * n * n
    best = best_seconds(lambda: np.matmul(a, b, out=c), repeats)
    print(json.dumps({"numpy": np.__version__, "blas": blas_library(), "seconds": best, "gflops": flops / best * 1e-9}))


main()
