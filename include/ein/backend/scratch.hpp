// Scratch: aligned temporary buffers for one evaluation (intermediates, the few
// permuted copies). Freed together when the evaluation ends. Layer: backend.
#pragma once

#include <array>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "ein/plan/label_set.hpp"
#include "ein/tensor/strided.hpp"
#include "ein/tensor/tensor.hpp"

namespace ein::detail {

/// Buffers kept between evaluations on this thread, so that a repeated einsum of
/// the same shapes allocates nothing after its first call.
template <class T>
class ScratchPool {
 public:
  struct Block {  // (no member initialisers: Scratch keeps an array of these per evaluation, filled as used)
    T* data;
    index_t capacity;
  };
  static constexpr std::size_t max_kept = 16;

  static ScratchPool& local() {
    thread_local ScratchPool pool;
    return pool;
  }
  /// The smallest kept block of at least `count` elements, or a new one.
  Block take(index_t count) {
    std::size_t best = kept_.size();
    for (std::size_t i = 0; i < kept_.size(); ++i)
      if (kept_[i].capacity >= count && (best == kept_.size() || kept_[i].capacity < kept_[best].capacity)) best = i;
    if (best == kept_.size()) {
      if (count > std::numeric_limits<index_t>::max() / static_cast<index_t>(sizeof(T)))
        throw shape_error("einsum: a temporary of " + std::to_string(count) + " elements overflows a 64-bit size");
      void* raw = ::operator new(static_cast<std::size_t>(count) * sizeof(T), std::align_val_t{tensor_alignment});
      return {static_cast<T*>(raw), count};
    }
    const Block b = kept_[best];
    kept_[best] = kept_.back();
    kept_.pop_back();
    return b;
  }
  void give_back(Block b) {
    if (kept_.size() == max_kept) {  // drop the smallest: the large ones are the costly ones to remake
      std::size_t smallest = 0;
      for (std::size_t i = 1; i < kept_.size(); ++i)
        if (kept_[i].capacity < kept_[smallest].capacity) smallest = i;
      if (kept_[smallest].capacity >= b.capacity) {
        release(b);
        return;
      }
      release(kept_[smallest]);
      kept_[smallest] = b;
      return;
    }
    kept_.push_back(b);
  }
  ~ScratchPool() {
    for (const Block& b : kept_) release(b);
  }

 private:
  ScratchPool() { kept_.reserve(max_kept); }
  static void release(const Block& b) { ::operator delete(b.data, std::align_val_t{tensor_alignment}); }
  std::vector<Block> kept_;
};

/// Temporary buffers of one evaluation: taken from this thread's pool, given back
/// when the evaluation ends. Contents are not initialised: every user writes first.
template <class T>
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    for (int i = 0; i < count_; ++i) ScratchPool<T>::local().give_back(blocks_[ix(i)]);
  }

  T* allocate(index_t count) {
    if (count_ == max_blocks) throw std::length_error("ein: too many temporaries in one evaluation");
    blocks_[ix(count_)] = ScratchPool<T>::local().take(count < 1 ? 1 : count);
    return blocks_[ix(count_++)].data;
  }

  /// A dense row-major buffer whose axes are `labels` in this order.
  Strided<T> dense(const unsigned char* labels, int rank, const index_t* label_extent) {
    index_t size = 0;
    Strided<T> s = dense_layout<T>(labels, rank, label_extent, size);
    s.data = allocate(size);
    return s;
  }

 private:
  // A plan has fewer than max_operands steps, each with at most four temporaries.
  static constexpr int max_blocks = 4 * max_operands + 4;
  std::array<typename ScratchPool<T>::Block, max_blocks> blocks_;  // [0, count_) in use
  int count_ = 0;
};

}  // namespace ein::detail
