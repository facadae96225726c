# Second GEMM reference: oneDNN (through Debian's PyTorch, torch._C._nn.mkldnn_linear),
# computing A·Bᵀ for square float32 n×n; best of repeats, one JSON line.
import json
import sys

from timing import best_seconds

try:
    import torch
except ImportError:
    print(json.dumps({"error": "torch is not installed for " + sys.executable}))
    sys.exit(0)


def main():
    n, threads = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    a = (torch.rand(n, n) * 2 - 1).to_mkldnn()
    w = (torch.rand(n, n) * 2 - 1).to_mkldnn()
    linear = torch._C._nn.mkldnn_linear
    linear(a, w, None)
    best = best_seconds(lambda: linear(a, w, None), 5)
    print(json.dumps({"torch": torch.__version__, "seconds": best, "gflops": 2.0 * n ** 3 / best * 1e-9}))


main()
