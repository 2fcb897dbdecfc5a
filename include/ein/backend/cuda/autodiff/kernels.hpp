// Host launchers of the device autodiff, nn, optimizer and MLP kernels
// (src/cuda/autodiff_kernels.cu): plain functions of pointers and sizes, each
// queued on `stream`, none synchronizing or copying to the host. Instantiated
// for float and double. Layer: backend (cuda), autodiff.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "ein/backend/cuda/autodiff/element.hpp"

namespace ein::cuda::kernels {

using element::AdamArgs;
using element::BinaryOp;
using element::Lineup;
using element::SgdArgs;
using element::UnaryOp;

/// z[k] = f(x[k], s) for k < n.
template <class T>
void unary_forward(cudaStream_t stream, UnaryOp op, std::int64_t n, const T* x, T* z, T s);
/// gx[k] += g[k] * f'(x[k], z[k], s) for k < n.
template <class T>
void unary_backward(cudaStream_t stream, UnaryOp op, std::int64_t n, const T* g, const T* x, const T* z, T* gx, T s);

/// z = x op y, the operands lined up by `l`.
template <class T>
void binary_forward(cudaStream_t stream, BinaryOp op, const Lineup& l, const T* x, const T* y, T* z);
/// gx += g * dz/dx and gy += g * dz/dy (either may be null: no gradient), a
/// repeated operand's contributions summed per element in result order, as the CPU.
template <class T>
void binary_backward(cudaStream_t stream, BinaryOp op, const Lineup& l, const T* g, const T* x, const T* y,
                     const T* z, T* gx, T* gy);

/// z[0] = scale * sum(x[0..n)), the sum in double for float (as the CPU's sum_of).
template <class T>
void scaled_sum_forward(cudaStream_t stream, std::int64_t n, const T* x, T scale, T* z);
/// gx[k] += scale * g[0] for k < n.
template <class T>
void scaled_sum_backward(cudaStream_t stream, std::int64_t n, const T* g, T scale, T* gx);

/// dst[k] += src[k] for k < n (a seed into a gradient).
template <class T>
void add_into(cudaStream_t stream, std::int64_t n, const T* src, T* dst);
/// dst[0] += value (the seed 1 of a scalar's backward).
template <class T>
void add_scalar(cudaStream_t stream, T* dst, T value);

/// softmax (or log_softmax when `log`) of x seen as [outer, n, inner] along n, into y.
template <class T>
void softmax_forward(cudaStream_t stream, bool log, std::int64_t outer, std::int64_t n, std::int64_t inner,
                     const T* x, T* y);
/// gx += the softmax (log_softmax) rule of gradient g through result y.
template <class T>
void softmax_backward(cudaStream_t stream, bool log, std::int64_t outer, std::int64_t n, std::int64_t inner,
                      const T* g, const T* y, T* gx);

/// Cross-entropy of logits x [n, c] against labels [n] (int): lse[r] = the row's
/// log-sum-exp, loss[0] = mean over rows of lse[r] - x[r, label r] (sum in double
/// for float). A label outside [0, c) makes its row, and so the loss, NaN.
/// `rows` is scratch of n elements.
template <class T>
void cross_entropy_forward(cudaStream_t stream, std::int64_t n, std::int64_t c, const T* x, const int* labels,
                           T* lse, T* rows, T* loss);
/// gx[r, k] += g[0] / n * (softmax(x)[r, k] - [k == label r]).
template <class T>
void cross_entropy_backward(cudaStream_t stream, std::int64_t n, std::int64_t c, const T* x, const int* labels,
                            const T* lse, const T* g, T* gx);

/// One SGD step on n elements: p, gradient g, momentum buffer b (null without momentum).
template <class T>
void sgd_step(cudaStream_t stream, std::int64_t n, T* p, const T* g, T* b, const SgdArgs<T>& args);
/// One Adam step on n elements: p, gradient g, moments m and v, v_max (null without AMSGrad).
template <class T>
void adam_step(cudaStream_t stream, std::int64_t n, T* p, const T* g, T* m, T* v, T* v_max, const AdamArgs<T>& args);

/// A mini-batch on the device: x[r, :] = images[rows[r], :] and y[r] = labels[rows[r]]
/// for r < n, rows = order + first; images [*, d].
void gather_rows(cudaStream_t stream, std::int64_t n, std::int64_t d, const float* images, const int* labels,
                 const std::int64_t* order, std::int64_t first, float* x, int* y);
/// Running statistics of a step, on the device: loss_sum += loss[0] * n and
/// correct += the rows of logits [n, c] whose first largest value is at the label.
void step_statistics(cudaStream_t stream, std::int64_t n, std::int64_t c, const float* logits, const int* labels,
                     const float* loss, double* loss_sum, unsigned long long* correct);

}  // namespace ein::cuda::kernels
