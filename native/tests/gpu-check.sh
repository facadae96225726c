#!/usr/bin/env bash
# GPU check of the engine on a machine with an NVIDIA GPU and only CMake, nvcc, a C++ compiler
# and Python 3 + PyTorch (no npm, no Node): builds native/ from this tree into a fresh build
# directory (plain CMake, not cmake-js, so no Node addon), runs the C++ tests, the CPU-vs-CUDA
# parity suite and the GPU benchmark next to PyTorch on the same GPU, and prints a summary.
#
# usage: native/tests/gpu-check.sh [--no-bench]
# env:   NW_CUDA_ARCHS  CUDA archs to build (default: the GPU's compute capability, else native)
#        NW_GPU_BUILD_DIR  build directory (default: a new temporary one; must be new or empty)
#        PYTHON  interpreter with PyTorch for the reference (default: python3)
#        NW_GPU_CHECK_STRICT_BENCH=1  also fail when a benchmark ratio is below its target
# exit:  0 all passed; 1 a build, test or benchmark failed; 2 nothing to check here (no GPU, no nvcc, ...)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
bench=1
for arg in "$@"; do
  case $arg in
    --no-bench) bench=0 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

cant() { echo "gpu-check: $*" >&2; exit 2; }
section() { printf '\n== %s\n' "$*"; }

command -v cmake >/dev/null || cant "cmake not found"
command -v "$python" >/dev/null || cant "$python not found (set PYTHON to a Python 3 with PyTorch)"
nvcc_bin=${CUDACXX:-$(command -v nvcc || true)}
if [ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ]; then nvcc_bin=/usr/local/cuda/bin/nvcc; fi
[ -n "$nvcc_bin" ] || cant "nvcc not found: put the CUDA toolkit's bin directory on PATH or set CUDACXX"
export CUDACXX=$nvcc_bin

section "machine"
gpu_line=""
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu_line=$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>/dev/null | head -n 1 || true)
fi
echo "nvidia-smi: ${gpu_line:-not available}"
echo "nvcc: $("$nvcc_bin" --version | tail -n 2 | head -n 1)"
echo "cmake: $(cmake --version | head -n 1)"

# The GPU's own arch (compute capability 9.0 -> 90) keeps the build short. Without it from
# nvidia-smi: "native" (CMake >= 3.24 asks the driver), else the engine's default archs.
arch=${NW_CUDA_ARCHS:-}
if [ -z "$arch" ]; then
  cc=$(printf '%s' "$gpu_line" | awk -F', *' '{print $4}' | tr -d ' .')
  cmake_version=$(cmake --version | head -n 1 | awk '{print $3}')
  if [[ $cc =~ ^[0-9]+$ ]]; then
    arch=$cc
  elif [ -n "$gpu_line" ] && [ "$(printf '%s\n3.24\n' "$cmake_version" | sort -V | head -n 1)" = 3.24 ]; then
    arch=native
  else
    arch="80;90"
  fi
fi
echo "CUDA archs: $arch"

build=${NW_GPU_BUILD_DIR:-}
if [ -z "$build" ]; then
  build=$(mktemp -d "${TMPDIR:-/tmp}/netwright-gpu-check.XXXXXX")
elif [ -e "$build" ] && [ -n "$(ls -A "$build")" ]; then
  cant "$build is not empty; NW_GPU_BUILD_DIR must name a new or empty directory (a fresh build)"
fi
mkdir -p "$build"
echo "build: $build"

section "build (plain CMake, no Node addon)"
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
jobs=$(nproc 2>/dev/null || echo 4)
if ! cmake -S "$root/native" -B "$build" ${generator[@]+"${generator[@]}"} -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_ARCHITECTURES=$arch" \
  >"$build/configure.log" 2>&1; then
  tail -n 40 "$build/configure.log"
  echo "gpu-check: configure failed (log: $build/configure.log)" >&2
  exit 1
fi
grep -q "CUDA backend enabled" "$build/configure.log" ||
  cant "CMake did not enable the CUDA backend with $nvcc_bin (log: $build/configure.log)"
grep "netwright:" "$build/configure.log" || true
if ! cmake --build "$build" -j "$jobs" --target engine_tests engine_gpu_tests nw_bench >"$build/build.log" 2>&1; then
  grep -E "error|Error" "$build/build.log" | head -n 40 || tail -n 40 "$build/build.log"
  echo "gpu-check: build failed (log: $build/build.log)" >&2
  exit 1
fi
warnings=$(grep -c "warning" "$build/build.log" || true)
echo "built engine_tests, engine_gpu_tests, nw_bench ($warnings compiler warning lines; log: $build/build.log)"

status=0
section "engine_tests (CPU)"
set +e
"$build/engine_tests" >"$build/engine_tests.log" 2>&1
engine_rc=$?
set -e
grep -E "^FAIL|FAIL " "$build/engine_tests.log" || true
engine_summary=$(tail -n 1 "$build/engine_tests.log")
echo "$engine_summary"
[ "$engine_rc" -eq 0 ] || status=1

section "CPU-vs-CUDA parity (engine_gpu_tests)"
set +e
"$build/engine_gpu_tests" --json "$build/parity.json" >"$build/parity.log" 2>&1
parity_rc=$?
set -e
# Passing ops are one "ok" line each; show the rest (failures, missing ops, the summary).
grep -v -E "^ok " "$build/parity.log" || true
echo "(full log: $build/parity.log)"
[ "$parity_rc" -eq 0 ] || [ "$parity_rc" -eq 77 ] || status=1
device=1
if [ "$parity_rc" -eq 77 ] || grep -q '"device":"none"' "$build/parity.json" 2>/dev/null; then device=0; fi

bench_ran=0
if [ "$device" -eq 1 ] && [ "$bench" -eq 1 ]; then
  section "GPU benchmark (netwright, then PyTorch on the same GPU)"
  bench_ran=1
  : >"$build/bench-netwright.jsonl"
  for workload in "sgemm-cuda 4096" lenet-cuda convbn-cuda charlstm-cuda; do
    set +e
    # shellcheck disable=SC2086 # the workload's arguments are meant to split
    out=$("$build/nw_bench" $workload 2>>"$build/bench.log")
    rc=$?
    set -e
    if [ -n "$out" ]; then echo "$out" | tee -a "$build/bench-netwright.jsonl"; fi
    if [ "$rc" -ne 0 ]; then
      status=1
      if [ -z "$out" ]; then
        if [ "$rc" -gt 128 ]; then why="crashed (signal $((rc - 128)))"; else why="exited with $rc"; fi
        echo "{\"workload\":\"${workload%% *}\",\"error\":\"nw_bench $why; see bench.log\"}" | tee -a "$build/bench-netwright.jsonl"
      fi
    fi
  done
  set +e
  "$python" "$root/bench/gpu/torch_reference.py" sgemm-cuda 4096 lenet-cuda convbn-cuda charlstm-cuda \
    >"$build/bench-torch.jsonl" 2>>"$build/bench.log"
  torch_rc=$?
  set -e
  cat "$build/bench-torch.jsonl"
  [ "$torch_rc" -eq 0 ] || echo "gpu-check: the PyTorch reference failed (exit $torch_rc; log: $build/bench.log)"
fi

section "summary"
set +e
NW_GPU_LINE="$gpu_line" NW_ENGINE_SUMMARY="$engine_summary" NW_ENGINE_RC="$engine_rc" NW_BENCH_RAN="$bench_ran" \
  "$python" - "$build" <<'EOF'
import json, os, sys

build = sys.argv[1]
def read_lines(name):
    path = os.path.join(build, name)
    if not os.path.exists(path):
        return {}
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            obj = json.loads(line)
            out[obj.get("workload")] = obj
    return out

gpu = os.environ.get("NW_GPU_LINE") or "nvidia-smi not available"
print(f"{'GPU':<14}{gpu}")
print(f"{'engine_tests':<14}{'ok' if os.environ['NW_ENGINE_RC'] == '0' else 'FAILED'} ({os.environ['NW_ENGINE_SUMMARY']})")
par_path = os.path.join(build, "parity.json")
if os.path.exists(par_path):
    p = json.load(open(par_path))
    c, pl, ck = p["cases"], p["plans"], p["checks"]
    if p["device"] == "none":
        print(f"{'parity':<14}not run: {p['status']}")
    else:
        print(f"{'parity':<14}{p['device']}: op cases {c['passed']} passed, {c['failed']} failed, {c['unsupported']} unsupported; "
              f"train steps {pl['passed']} passed, {pl['failed']} failed; checks {ck['passed']} passed, {ck['failed']} failed")
    print(f"{'missing ops':<14}{' '.join(p['missing_ops']) or 'none'}")
    for f in p["crashed"]:
        print(f"{'crashed':<14}{f}")
else:
    print(f"{'parity':<14}no result (see parity.log)")

below = 0
if os.environ.get("NW_BENCH_RAN") == "1":
    ours, ref = read_lines("bench-netwright.jsonl"), read_lines("bench-torch.jsonl")
    rows = [("sgemm-cuda", "sgemm 4096", "gflops", "GFLOPS", 0.9), ("lenet-cuda", "lenet", "per_s", "samples/s", 0.8),
            ("convbn-cuda", "convbn", "per_s", "samples/s", 0.8), ("charlstm-cuda", "charlstm", "per_s", "tokens/s", 0.8)]
    print(f"\n{'benchmark':<14}{'netwright':>22}{'pytorch':>22}{'ratio':>8}  target")
    def cell(obj, key, unit):
        if not obj:
            return "missing"
        if key in obj:
            return f"{obj[key]:.0f} {unit}"
        return "error" if "error" in obj else "skipped"
    for w, label, key, unit, target in rows:
        a, b = ours.get(w), ref.get(w)
        ratio, mark = "", ""
        if a and b and key in a and key in b and b[key] > 0:
            r = a[key] / b[key]
            ratio = f"{r:.2f}"
            if r < target:
                mark, below = "  BELOW TARGET", below + 1
        print(f"{label:<14}{cell(a, key, unit):>22}{cell(b, key, unit):>22}{ratio:>8}  >={target}{mark}")
    for w, obj in list(ours.items()) + list(ref.items()):
        for k in ("error", "skipped"):
            if k in obj:
                print(f"  {w}: {k}: {obj[k]}")
    backend = (ours.get("sgemm-cuda") or {}).get("backend")
    if backend:
        print(f"  netwright gemm backend: {backend}")
sys.exit(3 if below else 0)
EOF
summary_rc=$?
set -e
if [ "$summary_rc" -eq 3 ]; then
  echo "note: a benchmark is below its target (NW_GPU_CHECK_STRICT_BENCH=1 makes that a failure)"
  [ "${NW_GPU_CHECK_STRICT_BENCH:-0}" = 1 ] && status=1
elif [ "$summary_rc" -ne 0 ]; then
  echo "gpu-check: the summary could not be printed (exit $summary_rc)" >&2
  status=1
fi

if [ "$device" -eq 0 ]; then
  echo "gpu-check: no CUDA device here: the parity suite and the GPU benchmark did not run" >&2
  [ "$status" -ne 0 ] || status=2
fi
echo "gpu-check: $([ "$status" -eq 0 ] && echo passed || echo "FAILED (exit $status)"); logs in $build"
exit "$status"
