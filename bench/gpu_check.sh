#!/usr/bin/env bash
# The GPU checks of issue 5 as one prepared run, for a machine with an NVIDIA GPU
# (H100/H200, 16 cores: under 5 minutes). From the repository root:
#
#   bench/gpu_check.sh            report in ${OUT:-bench/results/gpu}/gpu_check.txt
#
# 1. configure and build (Release, GPU backend on) only what the checks need:
#    target ein_gpu_check = the gpu-labelled tests and the GPU benchmarks;
# 2. ctest -L gpu --output-on-failure: ein::cuda against the CPU backend on the
#    same inputs (a test that finds no device reports "skipped", never "passed");
# 3. bench/gpu/einsum_vs_cublas: ein::cuda::einsum against a direct cuBLAS GEMM,
#    "ij,jk->ik", "ji,kj->ik", "bij,bjk->bik" at 2048 and 4096, FP32/TF32/BF16;
# 4. the MLP step hook (below).
# Needs cmake, g++, nvcc + the CUDA toolkit, Eigen and doctest headers; nothing is
# downloaded. Environment: EIN_GPU_BUILD (build folder, default build-gpu),
# EIN_JOBS (default: all cores). Exit status 0 only when every step passed.
set -uo pipefail

cd "$(dirname "$0")/.."
out=${OUT:-bench/results/gpu}
build=${EIN_GPU_BUILD:-build-gpu}
jobs=${EIN_JOBS:-$(nproc)}
mkdir -p "$out"
report="$out/gpu_check.txt"
exec > >(tee "$report") 2>&1

declare -A result
order=()
record() {  # record NAME passed|FAILED|SKIPPED
  result[$1]=$2
  [[ " ${order[*]} " == *" $1 "* ]] || order+=("$1")
}
step() { printf '\n==== gpu_check: %s ====\n' "$*"; }
start_all=$SECONDS

step "machine"
date -u
git rev-parse --short HEAD 2>/dev/null || true
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || echo "nvidia-smi: not available"
nvcc_bin=$(command -v nvcc || true)
[[ -z $nvcc_bin && -n ${CUDA_HOME:-} && -x $CUDA_HOME/bin/nvcc ]] && nvcc_bin=$CUDA_HOME/bin/nvcc
[[ -n $nvcc_bin ]] && "$nvcc_bin" --version | tail -2
echo "cores: $(nproc), jobs: $jobs"
# A bare GPU machine may lack Eigen and doctest. Bring their Debian packages in
# .debs/ (here, once: echo /.debs/ >> .git/info/exclude; mkdir -p .debs;
# (cd .debs && apt-get download libeigen3-dev doctest-dev)), name .debs in the
# device tool's `carry`; they are unpacked under /tmp/ein-debs and used from there.
prefix_args=()
inc=/usr/include
if compgen -G ".debs/*.deb" > /dev/null; then
  for f in .debs/*.deb; do dpkg -x "$f" /tmp/ein-debs; done
  inc=/tmp/ein-debs/usr/include
  # (doctest's CMake package names /usr/include itself: the -isystem finds its header)
  prefix_args=(-DCMAKE_PREFIX_PATH=/tmp/ein-debs/usr "-DCMAKE_CXX_FLAGS=-isystem $inc")
  echo "packages from .debs: $(ls .debs | tr '\n' ' ')"
fi
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
[[ -f /usr/include/eigen3/Eigen/Core || -f $inc/eigen3/Eigen/Core ]] || missing+=("Eigen headers (libeigen3-dev)")
[[ -f /usr/include/doctest/doctest.h || -f $inc/doctest/doctest.h ]] || missing+=("doctest headers (doctest-dev): no GPU tests")
((${#missing[@]})) && echo "missing: ${missing[*]}"

step "configure + build"
t=$SECONDS
tests=ON
[[ -f /usr/include/doctest/doctest.h || -f $inc/doctest/doctest.h ]] || tests=OFF
cuda_args=()
[[ -n $nvcc_bin ]] && cuda_args+=(-DCMAKE_CUDA_COMPILER="$nvcc_bin")
if cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEIN_ENABLE_CUDA=ON -DEIN_GPU_TESTS=ON -DEIN_BUILD_GPU_BENCHMARKS=ON \
     -DEIN_BUILD_TESTS=$tests -DEIN_BUILD_EXAMPLES=ON -DEIN_INSTALL=OFF -DEIN_NATIVE_TESTS=OFF "${cuda_args[@]}" \
     "${prefix_args[@]}" &&
   cmake --build "$build" -j "$jobs" --target ein_gpu_check; then
  record build passed
else
  record build FAILED
fi
echo "build: ${result[build]} in $((SECONDS - t)) s"

step "ctest -L gpu"
t=$SECONDS
if [[ ${result[build]} == passed && $tests == ON ]]; then
  # --no-tests=error: a run that finds no gpu test fails instead of passing empty.
  if ctest --test-dir "$build" -L gpu --output-on-failure --no-tests=error; then record tests passed; else record tests FAILED; fi
  # ctest counts a skipped test as not failed: make a skip visible as a failure here.
  if grep -q "SKIPPED: no CUDA device" "$build/Testing/Temporary/LastTest.log" 2>/dev/null; then
    echo "gpu tests were SKIPPED: no CUDA device"
    record tests SKIPPED
  fi
else
  record tests FAILED
fi
echo "gpu tests: ${result[tests]} in $((SECONDS - t)) s"

step "einsum vs cuBLAS"
t=$SECONDS
bench="$build/bench/gpu/einsum_vs_cublas"
if [[ -x $bench ]]; then
  "$bench" --reps 20 --inner 10
  case $? in 0) record einsum_bench passed ;; 77) record einsum_bench SKIPPED ;; *) record einsum_bench FAILED ;; esac
else
  record einsum_bench FAILED
fi
echo "einsum vs cuBLAS: ${result[einsum_bench]} in $((SECONDS - t)) s"

# ---- hook: MLP training step (the autodiff part of issue 5 adds its run here:
#      build its target through ein_gpu_check, run it, then `record mlp_step passed|FAILED|SKIPPED`) ----
step "MLP step (N=1024, H=1024): GPU vs CPU (2 threads), copies in a step"
t=$SECONDS
mlp_step="$build/bench/gpu/mlp_step"
if [[ -x $mlp_step ]]; then
  "$mlp_step" --n 1024 --hidden 1024 --steps 20 --threads 2 --min-speedup 10
  case $? in 0) record mlp_step passed ;; 77) record mlp_step SKIPPED ;; *) record mlp_step FAILED ;; esac
else
  record mlp_step FAILED
fi
echo "MLP step: ${result[mlp_step]} in $((SECONDS - t)) s"
# ---- end of hook ----

step "summary"
status=0
for k in "${order[@]}"; do
  printf '%-14s %s\n' "$k" "${result[$k]}"
  [[ ${result[$k]} == passed ]] || status=1
done
echo "total: $((SECONDS - start_all)) s; report: $report"
exit $status
