// Kernels of the device autodiff ops, softmax and cross-entropy, the optimizers
// and the MLP example's batch selection (declared in
// ein/backend/cuda/autodiff/kernels.hpp). The per-element math lives in
// element.hpp, shared with the host. Layer: backend (cuda), autodiff.
//
// Reductions are deterministic from run to run (no atomics): softmax lines and
// cross-entropy rows run one thread per line in the CPU's order; a bias
// gradient (a sum over rows per column) runs 8 row groups per column, added in
// a fixed order; whole-tensor sums run in one block (a tree, in double).
#include <algorithm>
#include <cstdint>

#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/error.hpp"

namespace ein::cuda::kernels {
namespace {

using std::int64_t;
using namespace element;

constexpr int threads = 256;
constexpr int reduce_threads = 512;

/// Blocks for n elements with grid-stride loops.
unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + threads - 1) / threads, 1 << 16));
}
void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

#define EIN_FOR_EACH(k, n) \
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < (n); k += int64_t(gridDim.x) * blockDim.x)

/// The block's sum of each thread's `value` (a power-of-two block of reduce_threads); valid in thread 0.
__device__ double block_sum(double value) {
  __shared__ double partial[reduce_threads];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int half = reduce_threads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  return partial[0];
}

// --- element-wise functions of one Var ---

template <class T>
__global__ void unary_forward_kernel(UnaryOp op, int64_t n, const T* x, T* z, T s) {
  EIN_FOR_EACH(k, n) z[k] = unary_value(op, x[k], s);
}
template <class T>
__global__ void unary_backward_kernel(UnaryOp op, int64_t n, const T* g, const T* x, const T* z, T* gx, T s) {
  EIN_FOR_EACH(k, n) gx[k] += g[k] * unary_partial(op, x[k], z[k], s);
}

// --- binary ops ---

template <class T>
__global__ void binary_forward_kernel(BinaryOp op, Lineup l, const T* x, const T* y, T* z) {
  EIN_FOR_EACH(k, l.outer * l.inner) {
    const int64_t o = k / l.inner, i = k % l.inner;
    z[k] = binary_value(op, x[o * l.a_outer + i * l.a_inner], y[o * l.b_outer + i * l.b_inner]);
  }
}

/// The partial of operand `which` (0: x, 1: y) at result element (o, i).
template <class T>
__device__ T partial_at(BinaryOp op, int which, const Lineup& l, const T* g, const T* x, const T* y, const T* z,
                        int64_t o, int64_t i) {
  const int64_t k = o * l.inner + i;
  const T xv = x[o * l.a_outer + i * l.a_inner], yv = y[o * l.b_outer + i * l.b_inner];
  return g[k] * (which == 0 ? binary_dx(op, xv, yv, z[k]) : binary_dy(op, xv, yv, z[k]));
}

/// Gather::each: one result element per gradient element.
template <class T>
__global__ void binary_backward_each(BinaryOp op, int which, Lineup l, const T* g, const T* x, const T* y,
                                     const T* z, T* grad) {
  const int64_t step_o = which == 0 ? l.a_outer : l.b_outer, step_i = which == 0 ? l.a_inner : l.b_inner;
  EIN_FOR_EACH(k, l.outer * l.inner) {
    const int64_t o = k / l.inner, i = k % l.inner;
    grad[o * step_o + i * step_i] += partial_at(op, which, l, g, x, y, z, o, i);
  }
}
/// Gather::columns: a block of column_threads columns x row_groups row groups; each
/// thread sums every row_groups-th row of its column (coalesced across columns),
/// then the groups' partial sums are added in a fixed order: deterministic.
constexpr int column_threads = 32, row_groups = 8;
template <class T>
__global__ void binary_backward_columns(BinaryOp op, int which, Lineup l, const T* g, const T* x, const T* y,
                                        const T* z, T* grad) {
  __shared__ T partial[row_groups][column_threads];
  const int64_t step_i = which == 0 ? l.a_inner : l.b_inner;
  const int64_t i = blockIdx.x * int64_t(column_threads) + threadIdx.x;
  T acc = 0;
  if (i < l.inner)
    for (int64_t o = threadIdx.y; o < l.outer; o += row_groups) acc += partial_at(op, which, l, g, x, y, z, o, i);
  partial[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && i < l.inner) {
    T sum = grad[i * step_i];
    for (int r = 0; r < row_groups; ++r) sum += partial[r][threadIdx.x];
    grad[i * step_i] = sum;
  }
}
/// Gather::all: one block sums everything.
template <class T>
__global__ void binary_backward_all(BinaryOp op, int which, Lineup l, const T* g, const T* x, const T* y,
                                    const T* z, T* grad) {
  double acc = 0;
  for (int64_t k = threadIdx.x; k < l.outer * l.inner; k += blockDim.x)
    acc += partial_at(op, which, l, g, x, y, z, k / l.inner, k % l.inner);
  const double total = block_sum(acc);
  if (threadIdx.x == 0) grad[0] += static_cast<T>(total);
}

// --- sums ---

template <class T>
__global__ void scaled_sum_forward_kernel(int64_t n, const T* x, T scale, T* z) {
  double acc = 0;
  for (int64_t k = threadIdx.x; k < n; k += blockDim.x) acc += x[k];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) z[0] = static_cast<T>(total) * scale;
}
template <class T>
__global__ void scaled_sum_backward_kernel(int64_t n, const T* g, T scale, T* gx) {
  const T d = g[0] * scale;
  EIN_FOR_EACH(k, n) gx[k] += d;
}
template <class T>
__global__ void add_into_kernel(int64_t n, const T* src, T* dst) {
  EIN_FOR_EACH(k, n) dst[k] += src[k];
}
template <class T>
__global__ void add_scalar_kernel(T* dst, T value) {
  dst[0] += value;
}

// --- softmax ---

template <class T>
__global__ void softmax_forward_kernel(bool log, int64_t outer, int64_t n, int64_t inner, const T* x, T* y) {
  EIN_FOR_EACH(line, outer * inner) {
    const int64_t first = (line / inner) * n * inner + line % inner;
    const LineStats<T> st = line_stats(x + first, n, inner);
    for (int64_t k = 0; k < n; ++k) {
      const int64_t at = first + k * inner;
      y[at] = log ? x[at] - st.max - st.log_sum : exp_of(x[at] - st.max - st.log_sum);
    }
  }
}
template <class T>
__global__ void softmax_backward_kernel(bool log, int64_t outer, int64_t n, int64_t inner, const T* g, const T* y,
                                        T* gx) {
  EIN_FOR_EACH(line, outer * inner) {
    const int64_t first = (line / inner) * n * inner + line % inner;
    T total = 0;  // log_softmax: sum(dy); softmax: sum(dy * y)
    for (int64_t k = 0; k < n; ++k) {
      const int64_t at = first + k * inner;
      total += log ? g[at] : g[at] * y[at];
    }
    for (int64_t k = 0; k < n; ++k) {
      const int64_t at = first + k * inner;
      gx[at] += log ? log_softmax_partial(g[at], y[at], total) : softmax_partial(g[at], y[at], total);
    }
  }
}

// --- cross-entropy ---

template <class T>
__global__ void cross_entropy_rows(int64_t n, int64_t c, const T* x, const int* labels, T* lse, T* rows) {
  EIN_FOR_EACH(r, n) {
    const LineStats<T> st = line_stats(x + r * c, c, 1);
    const int label = labels[r];
    const bool valid = label >= 0 && label < c;
    lse[r] = valid ? st.max + st.log_sum : T(0) / T(0);
    rows[r] = valid ? lse[r] - x[r * c + label] : lse[r];
  }
}
template <class T>
__global__ void cross_entropy_mean(int64_t n, const T* rows, T* loss) {
  double acc = 0;
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x) acc += rows[r];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) loss[0] = static_cast<T>(total / static_cast<double>(n));
}
template <class T>
__global__ void cross_entropy_backward_kernel(int64_t n, int64_t c, const T* x, const int* labels, const T* lse,
                                              const T* g, T* gx) {
  const T g_mean = g[0] / static_cast<T>(n);
  EIN_FOR_EACH(k, n * c) {
    const int64_t r = k / c;
    gx[k] = cross_entropy_accumulate(gx[k], x[k], lse[r], g_mean, k % c == labels[r]);
  }
}

// --- optimizers ---

template <class T>
__global__ void sgd_kernel(int64_t n, T* p, const T* g, T* b, SgdArgs<T> args) {
  EIN_FOR_EACH(k, n) sgd_update(p[k], g[k], b ? b + k : nullptr, args);
}
template <class T>
__global__ void adam_kernel(int64_t n, T* p, const T* g, T* m, T* v, T* v_max, AdamArgs<T> args) {
  EIN_FOR_EACH(k, n) adam_update(p[k], g[k], m[k], v[k], v_max ? v_max + k : nullptr, args);
}

// --- the MLP example ---

__global__ void gather_rows_kernel(int64_t n, int64_t d, const float* images, const int* labels,
                                   const int64_t* order, int64_t first, float* x, int* y) {
  EIN_FOR_EACH(k, n * d) {
    const int64_t r = k / d;
    x[k] = images[order[first + r] * d + k % d];
    if (k % d == 0) y[r] = labels[order[first + r]];
  }
}
__global__ void step_statistics_kernel(int64_t n, int64_t c, const float* logits, const int* labels,
                                       const float* loss, double* loss_sum, unsigned long long* correct) {
  double count = 0;
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x) {
    const float* row = logits + r * c;
    int64_t best = 0;  // the first largest, as std::max_element
    for (int64_t k = 1; k < c; ++k)
      if (row[best] < row[k]) best = k;
    count += best == labels[r] ? 1 : 0;
  }
  const double total = block_sum(count);
  if (threadIdx.x == 0) {
    *correct += static_cast<unsigned long long>(total);
    *loss_sum += static_cast<double>(loss[0]) * static_cast<double>(n);
  }
}

}  // namespace

template <class T>
void unary_forward(cudaStream_t stream, UnaryOp op, int64_t n, const T* x, T* z, T s) {
  if (n == 0) return;
  unary_forward_kernel<<<blocks_for(n), threads, 0, stream>>>(op, n, x, z, s);
  check_launch("unary_forward_kernel");
}
template <class T>
void unary_backward(cudaStream_t stream, UnaryOp op, int64_t n, const T* g, const T* x, const T* z, T* gx, T s) {
  if (n == 0) return;
  unary_backward_kernel<<<blocks_for(n), threads, 0, stream>>>(op, n, g, x, z, gx, s);
  check_launch("unary_backward_kernel");
}

template <class T>
void binary_forward(cudaStream_t stream, BinaryOp op, const Lineup& l, const T* x, const T* y, T* z) {
  const int64_t n = l.outer * l.inner;
  if (n == 0) return;
  binary_forward_kernel<<<blocks_for(n), threads, 0, stream>>>(op, l, x, y, z);
  check_launch("binary_forward_kernel");
}
template <class T>
void binary_backward(cudaStream_t stream, BinaryOp op, const Lineup& l, const T* g, const T* x, const T* y,
                     const T* z, T* gx, T* gy) {
  const int64_t n = l.outer * l.inner;
  if (n == 0) return;
  for (int which = 0; which < 2; ++which) {
    T* grad = which == 0 ? gx : gy;
    if (grad == nullptr) continue;
    const Gather how = which == 0 ? gather_of(l.a_outer, l.a_inner, l.outer) : gather_of(l.b_outer, l.b_inner, l.outer);
    switch (how) {
      case Gather::each:
        binary_backward_each<<<blocks_for(n), threads, 0, stream>>>(op, which, l, g, x, y, z, grad);
        break;
      case Gather::columns:
        binary_backward_columns<<<static_cast<unsigned>((l.inner + column_threads - 1) / column_threads),
                                  dim3(column_threads, row_groups), 0, stream>>>(op, which, l, g, x, y, z, grad);
        break;
      case Gather::all:
        binary_backward_all<<<1, reduce_threads, 0, stream>>>(op, which, l, g, x, y, z, grad);
        break;
    }
    check_launch("binary_backward");
  }
}

template <class T>
void scaled_sum_forward(cudaStream_t stream, int64_t n, const T* x, T scale, T* z) {
  scaled_sum_forward_kernel<<<1, reduce_threads, 0, stream>>>(n, x, scale, z);
  check_launch("scaled_sum_forward_kernel");
}
template <class T>
void scaled_sum_backward(cudaStream_t stream, int64_t n, const T* g, T scale, T* gx) {
  if (n == 0) return;
  scaled_sum_backward_kernel<<<blocks_for(n), threads, 0, stream>>>(n, g, scale, gx);
  check_launch("scaled_sum_backward_kernel");
}
template <class T>
void add_into(cudaStream_t stream, int64_t n, const T* src, T* dst) {
  if (n == 0) return;
  add_into_kernel<<<blocks_for(n), threads, 0, stream>>>(n, src, dst);
  check_launch("add_into_kernel");
}
template <class T>
void add_scalar(cudaStream_t stream, T* dst, T value) {
  add_scalar_kernel<<<1, 1, 0, stream>>>(dst, value);
  check_launch("add_scalar_kernel");
}

template <class T>
void softmax_forward(cudaStream_t stream, bool log, int64_t outer, int64_t n, int64_t inner, const T* x, T* y) {
  if (outer * n * inner == 0) return;
  softmax_forward_kernel<<<blocks_for(outer * inner), threads, 0, stream>>>(log, outer, n, inner, x, y);
  check_launch("softmax_forward_kernel");
}
template <class T>
void softmax_backward(cudaStream_t stream, bool log, int64_t outer, int64_t n, int64_t inner, const T* g, const T* y,
                      T* gx) {
  if (outer * n * inner == 0) return;
  softmax_backward_kernel<<<blocks_for(outer * inner), threads, 0, stream>>>(log, outer, n, inner, g, y, gx);
  check_launch("softmax_backward_kernel");
}

template <class T>
void cross_entropy_forward(cudaStream_t stream, int64_t n, int64_t c, const T* x, const int* labels, T* lse, T* rows,
                           T* loss) {
  if (n > 0) {
    cross_entropy_rows<<<blocks_for(n), threads, 0, stream>>>(n, c, x, labels, lse, rows);
    check_launch("cross_entropy_rows");
  }
  cross_entropy_mean<<<1, reduce_threads, 0, stream>>>(n, rows, loss);  // n = 0: 0 / 0 = NaN, as the CPU
  check_launch("cross_entropy_mean");
}
template <class T>
void cross_entropy_backward(cudaStream_t stream, int64_t n, int64_t c, const T* x, const int* labels, const T* lse,
                            const T* g, T* gx) {
  if (n * c == 0) return;
  cross_entropy_backward_kernel<<<blocks_for(n * c), threads, 0, stream>>>(n, c, x, labels, lse, g, gx);
  check_launch("cross_entropy_backward_kernel");
}

template <class T>
void sgd_step(cudaStream_t stream, int64_t n, T* p, const T* g, T* b, const SgdArgs<T>& args) {
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n), threads, 0, stream>>>(n, p, g, b, args);
  check_launch("sgd_kernel");
}
template <class T>
void adam_step(cudaStream_t stream, int64_t n, T* p, const T* g, T* m, T* v, T* v_max, const AdamArgs<T>& args) {
  if (n == 0) return;
  adam_kernel<<<blocks_for(n), threads, 0, stream>>>(n, p, g, m, v, v_max, args);
  check_launch("adam_kernel");
}

void gather_rows(cudaStream_t stream, int64_t n, int64_t d, const float* images, const int* labels,
                 const int64_t* order, int64_t first, float* x, int* y) {
  if (n * d == 0) return;
  gather_rows_kernel<<<blocks_for(n * d), threads, 0, stream>>>(n, d, images, labels, order, first, x, y);
  check_launch("gather_rows_kernel");
}
void step_statistics(cudaStream_t stream, int64_t n, int64_t c, const float* logits, const int* labels,
                     const float* loss, double* loss_sum, unsigned long long* correct) {
  step_statistics_kernel<<<1, reduce_threads, 0, stream>>>(n, c, logits, labels, loss, loss_sum, correct);
  check_launch("step_statistics_kernel");
}

#define EIN_INSTANTIATE(T)                                                                                           \
  template void unary_forward<T>(cudaStream_t, UnaryOp, int64_t, const T*, T*, T);                                   \
  template void unary_backward<T>(cudaStream_t, UnaryOp, int64_t, const T*, const T*, const T*, T*, T);              \
  template void binary_forward<T>(cudaStream_t, BinaryOp, const Lineup&, const T*, const T*, T*);                    \
  template void binary_backward<T>(cudaStream_t, BinaryOp, const Lineup&, const T*, const T*, const T*, const T*,    \
                                   T*, T*);                                                                          \
  template void scaled_sum_forward<T>(cudaStream_t, int64_t, const T*, T, T*);                                       \
  template void scaled_sum_backward<T>(cudaStream_t, int64_t, const T*, T, T*);                                      \
  template void add_into<T>(cudaStream_t, int64_t, const T*, T*);                                                    \
  template void add_scalar<T>(cudaStream_t, T*, T);                                                                  \
  template void softmax_forward<T>(cudaStream_t, bool, int64_t, int64_t, int64_t, const T*, T*);                     \
  template void softmax_backward<T>(cudaStream_t, bool, int64_t, int64_t, int64_t, const T*, const T*, T*);          \
  template void cross_entropy_forward<T>(cudaStream_t, int64_t, int64_t, const T*, const int*, T*, T*, T*);          \
  template void cross_entropy_backward<T>(cudaStream_t, int64_t, int64_t, const T*, const int*, const T*, const T*,  \
                                          T*);                                                                       \
  template void sgd_step<T>(cudaStream_t, int64_t, T*, const T*, T*, const SgdArgs<T>&);                             \
  template void adam_step<T>(cudaStream_t, int64_t, T*, const T*, T*, T*, T*, const AdamArgs<T>&);

EIN_INSTANTIATE(float)
EIN_INSTANTIATE(double)

}  // namespace ein::cuda::kernels
