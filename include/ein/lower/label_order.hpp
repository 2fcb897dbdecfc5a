// Label groups as a GEMM walks them: a group's labels ordered by stride, and
// whether an operand's strides let the group be walked as one matrix axis.
// Backend-neutral (pointers are never read). Layer: lower.
#pragma once

#include <array>
#include <utility>

#include "ein/lower/loop_space.hpp"
#include "ein/plan/label_set.hpp"
#include "ein/tensor/strided.hpp"

namespace ein::detail {

/// An ordered list of labels (a group in the order its axes are walked).
struct LabelOrder {
  std::array<unsigned char, max_rank> labels{};
  int count = 0;

  void push(int label) { labels[ix(count++)] = static_cast<unsigned char>(label); }
  void append(const LabelOrder& other) {
    for (int i = 0; i < other.count; ++i) push(other.labels[ix(i)]);
  }
};

/// The members of `set` that `x` carries, ordered by decreasing stride in x.
template <class T>
LabelOrder order_by_stride(const Strided<T>& x, LabelSet set) {
  LabelOrder order;
  for (int d = 0; d < x.rank; ++d)
    if (set.has(x.labels[ix(d)])) order.push(x.labels[ix(d)]);
  for (int i = 1; i < order.count; ++i)  // insertion sort: groups are short
    for (int j = i; j > 0 && x.stride_of(order.labels[ix(j - 1)]) < x.stride_of(order.labels[ix(j)]); --j)
      std::swap(order.labels[ix(j - 1)], order.labels[ix(j)]);
  return order;
}

/// The group `order` of x as one axis (collapse_group): ok when its axes other
/// than size-1 ones merge into one.
template <class T>
Collapsed collapse(const Strided<T>& x, const LabelOrder& order, const index_t* label_extent) {
  return collapse_group(order.count, [&](int i) {
    const int label = order.labels[ix(i)];
    return std::pair{label_extent[label], x.stride_of(label)};
  });
}

}  // namespace ein::detail
