"""Timing shared by the GEMM references (gemm.py, onednn.py, ../gpu/torch_reference.py), as
nw_bench times the engine: the best of `repeats` samples, each of enough calls to take about 50 ms."""
import time


def best_seconds(call, repeats, wait=None):
    """Seconds per call of `call` (warm it up first): the best of `repeats` samples of ~50 ms.
    `wait` waits for queued work (a GPU) before a clock is read."""
    def done():
        if wait is not None:
            wait()

    t = time.perf_counter()
    call()
    done()
    one = time.perf_counter() - t
    inner = max(1, int(0.05 / max(one, 1e-7)))
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            call()
        done()
        best = min(best, (time.perf_counter() - t) / inner)
    return best
