// Direct strided loops: the backend for steps with no contracted label (outer
// and Hadamard products, batched scaling) and for single-operand steps
// (reductions, diagonals, permutations, copies):
//   out[o] = alpha * sum_s a[o, s] * b[o, s] + beta * out[o]
// where o runs over the output's labels and s over the labels that are summed.
// Layer: backend.
#pragma once

#include <array>
#include <type_traits>

#include "ein/plan/label_set.hpp"
#include "ein/tensor/strided.hpp"

namespace ein::detail {

struct LoopDim {
  index_t extent = 1;
  index_t sa = 0, sb = 0, so = 0;
};

// Odometer over `dims`, moving two input offsets and one output offset; calls body(oa, ob, oo).
template <class Body>
inline void odometer(const LoopDim* dims, int n, index_t oa, index_t ob, index_t oo, Body&& body) {
  for (int d = 0; d < n; ++d)
    if (dims[d].extent == 0) return;
  if (n == 0) {
    body(oa, ob, oo);
    return;
  }
  index_t at[max_labels];  // only the first n - 1 are used: zero just those (this runs per output element)
  for (int d = 0; d + 1 < n; ++d) at[d] = 0;
  const LoopDim& last = dims[n - 1];
  while (true) {
    for (index_t i = 0; i < last.extent; ++i) body(oa + i * last.sa, ob + i * last.sb, oo + i * last.so);
    int d = n - 1;
    while (true) {
      if (--d < 0) return;
      oa += dims[d].sa;
      ob += dims[d].sb;
      oo += dims[d].so;
      if (++at[d] < dims[d].extent) break;
      oa -= dims[d].sa * dims[d].extent;
      ob -= dims[d].sb * dims[d].extent;
      oo -= dims[d].so * dims[d].extent;
      at[d] = 0;
    }
  }
}

/// out = alpha * contract(a [, b]) + beta * out, by direct loops. `b` may be null.
/// `out` carries exactly the kept labels; every other label of a or b is summed.
template <class T>
void loop_contract(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T alpha, T beta) {
  LabelSet in_labels, out_labels;
  for (int d = 0; d < a.rank; ++d) in_labels.add(a.labels[d]);
  if (b)
    for (int d = 0; d < b->rank; ++d) in_labels.add(b->labels[d]);
  std::array<LoopDim, max_labels> outer{}, inner{};
  int n_outer = 0, n_inner = 0;
  for (int d = 0; d < out.rank; ++d) {
    const int l = out.labels[d];
    out_labels.add(l);
    outer[n_outer++] = {out.extents[d], a.stride_of(l), b ? b->stride_of(l) : 0, out.strides[d]};
  }
  (in_labels - out_labels).for_each([&](int l) {
    const int da = a.axis_of(l);
    const index_t extent = da >= 0 ? a.extents[da] : b->extents[b->axis_of(l)];
    inner[n_inner++] = {extent, a.stride_of(l), b ? b->stride_of(l) : 0, 0};
  });

  const T* pa = a.data;
  const T* pb = b ? b->data : nullptr;
  T* po = out.data;
  const auto store = [&](index_t oo, T value) {
    po[oo] = beta == T(0) ? alpha * value : alpha * value + beta * po[oo];
  };
  if (n_inner == 0 && n_outer > 0 && pb && beta == T(0) && outer[n_outer - 1].so == 1) {
    // Outer and Hadamard products into a fresh destination: the last output axis is
    // contiguous, and each operand either walks it (stride 1) or stays (stride 0).
    const LoopDim last = outer[n_outer - 1];
    const auto rows = [&](auto a_unit, auto b_unit) {
      odometer(outer.data(), n_outer - 1, 0, 0, 0, [&](index_t oa, index_t ob, index_t oo) {
        const T* a = pa + oa;
        const T* b = pb + ob;
        T* o = po + oo;
        for (index_t i = 0; i < last.extent; ++i)
          o[i] = alpha * a[decltype(a_unit)::value ? i : 0] * b[decltype(b_unit)::value ? i : 0];
      });
    };
    using yes = std::true_type;
    using no = std::false_type;
    if (last.sa == 0 && last.sb == 1) return rows(no{}, yes{});
    if (last.sa == 1 && last.sb == 0) return rows(yes{}, no{});
    if (last.sa == 1 && last.sb == 1) return rows(yes{}, yes{});
  }
  if (n_inner == 0) {
    if (pb)
      odometer(outer.data(), n_outer, 0, 0, 0, [&](index_t oa, index_t ob, index_t oo) { store(oo, pa[oa] * pb[ob]); });
    else
      odometer(outer.data(), n_outer, 0, 0, 0, [&](index_t oa, index_t, index_t oo) { store(oo, pa[oa]); });
    return;
  }
  if (n_inner == 1) {  // one summed label (row sums, traces, dot products): a plain inner loop
    const LoopDim in = inner[0];
    odometer(outer.data(), n_outer, 0, 0, 0, [&](index_t oa, index_t ob, index_t oo) {
      T acc = T(0);
      if (pb)
        for (index_t i = 0; i < in.extent; ++i) acc += pa[oa + i * in.sa] * pb[ob + i * in.sb];
      else if (in.sa == 1)
        for (index_t i = 0; i < in.extent; ++i) acc += pa[oa + i];
      else
        for (index_t i = 0; i < in.extent; ++i) acc += pa[oa + i * in.sa];
      store(oo, acc);
    });
    return;
  }
  odometer(outer.data(), n_outer, 0, 0, 0, [&](index_t oa, index_t ob, index_t oo) {
    T acc = T(0);
    if (pb)
      odometer(inner.data(), n_inner, oa, ob, 0, [&](index_t ia, index_t ib, index_t) { acc += pa[ia] * pb[ib]; });
    else
      odometer(inner.data(), n_inner, oa, 0, 0, [&](index_t ia, index_t, index_t) { acc += pa[ia]; });
    store(oo, acc);
  });
}

}  // namespace ein::detail
