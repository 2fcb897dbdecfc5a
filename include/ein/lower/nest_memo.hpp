// A per-thread memo of prepared loop nests (loop_nest.hpp), keyed by a call's
// shapes: each operand's and the output's labels, extents and strides, and the
// element size. They decide everything between a call and its loops (the extents'
// checks, the plan, normalisation, fold and loop order), so a call that repeats
// a shape (a training step, a benchmark, any loop over small tensors) runs its
// nest at once: a loop of 16 x 16 `C = einsum<"ij,ij->ij">(A, B)` took ~5,900
// instructions a call, ~1,650 with the memo (callgrind). Only nests are kept: a
// GEMM step's planning is small beside its GEMM. Layer: lower.
#pragma once

#include <array>
#include <memory>

#include "ein/lower/loop_nest.hpp"

namespace ein::detail {

/// A call's shapes: the output's axes, then each input's (label, extent, stride).
struct CallKey {
  /// Axes over all operands that a key holds: a call with more is not memoized.
  static constexpr int capacity = 48;
  int inputs;
  int axes;
  int element_size;
  bool checked_destination;  // the call checks its destination's extents (execute_on's check_dest)
  // (No initialisers: only the first `axes` entries are written and compared.)
  std::array<unsigned char, max_operands + 1> rank;
  std::array<unsigned char, capacity> label;
  std::array<index_t, capacity> extent, stride;

  bool operator==(const CallKey& o) const {
    if (inputs != o.inputs || axes != o.axes || element_size != o.element_size ||
        checked_destination != o.checked_destination)
      return false;
    for (int k = 0; k <= inputs; ++k)
      if (rank[ix(k)] != o.rank[ix(k)]) return false;
    for (int a = 0; a < axes; ++a)
      if (label[ix(a)] != o.label[ix(a)] || extent[ix(a)] != o.extent[ix(a)] || stride[ix(a)] != o.stride[ix(a)])
        return false;
    return true;
  }
};

/// The key of out = contract(ins[0], ..., ins[n - 1]); false when it exceeds the capacity.
/// checked_destination: the call checks out's extents against the result's, so that
/// what it finds was recorded by a call that passed the check (one that does not, a
/// gradient's, sums over the labels of out's size-1 axes).
template <class T>
bool call_key(CallKey& key, const Strided<const T>* ins, int n, const Strided<T>& out, bool checked_destination = false) {
  key.inputs = n;
  key.element_size = int(sizeof(T));
  key.checked_destination = checked_destination;
  int a = 0;
  const auto add = [&](int k, const auto& x) {
    if (a + x.rank > CallKey::capacity) return false;
    key.rank[ix(k)] = static_cast<unsigned char>(x.rank);
    for (int d = 0; d < x.rank; ++d, ++a) {
      key.label[ix(a)] = x.labels[ix(d)];
      key.extent[ix(a)] = x.extents[ix(d)];
      key.stride[ix(a)] = x.strides[ix(d)];
    }
    return true;
  };
  if (!add(0, out)) return false;
  for (int k = 0; k < n; ++k)
    if (!add(k + 1, ins[k])) return false;
  key.axes = a;
  return true;
}

/// The last few calls' nests on this thread, replaced round-robin.
class NestMemo {
 public:
  /// The nest prepared for `key`, or null.
  [[nodiscard]] const PreparedNest* find(const CallKey& key) const {
    for (const Entry& e : entries_)
      if (e.filled && e.key == key) return &e.prepared;
    return nullptr;
  }
  /// Prepares the nest of ins and out (loop_nest's operands, which the call with
  /// `key` lowers to) in a slot of its own, and returns it.
  template <class T>
  const PreparedNest& prepare(const CallKey& key, const Strided<const T>* ins, int n, const Strided<T>& out) {
    Entry& e = entries_[ix(next_)];
    next_ = (next_ + 1) % entries;
    e.key = key;
    prepare_nest(e.prepared, ins, n, out);
    e.filled = true;
    return e.prepared;
  }

 private:
  static constexpr int entries = 8;
  struct Entry {
    CallKey key;
    PreparedNest prepared;
    bool filled = false;
  };
  std::array<Entry, entries> entries_{};
  int next_ = 0;
};

/// This thread's memo (~90 KB, on the heap: only threads that evaluate pay for it).
inline NestMemo& nest_memo() {
  thread_local std::unique_ptr<NestMemo> memo;
  if (!memo) memo = std::make_unique<NestMemo>();
  return *memo;
}

/// loop_nest(ins, n, out, alpha, beta), its nest prepared once per shape on this thread.
template <class T>
void memoized_loop_nest(const Strided<const T>* ins, int n, const Strided<T>& out, T alpha, T beta) {
  CallKey key;
  if (!call_key(key, ins, n, out)) return loop_nest<T>(ins, n, out, alpha, beta);
  NestMemo& memo = nest_memo();
  const PreparedNest* p = memo.find(key);
  run_prepared<T>(p ? *p : memo.prepare(key, ins, n, out), out.data, data_of(ins, n).data(), alpha, beta);
}

}  // namespace ein::detail
