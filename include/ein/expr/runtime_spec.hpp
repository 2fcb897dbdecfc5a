// The spec of a run-time einsum ("ij,jk->ik" given as a string), bound once
// per spec text and operand ranks and kept in a small per-thread cache, with
// what its fast paths need (the StaticPair and the single-path flag), so a
// repeated call pays a hash and a compare, not a parse, a bind and an
// allocation. The autodiff einsum's run-time specs, and the gradient specs derived
// from them, come from the same cache. Layer: expr.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ein/lower/static_product.hpp"
#include "ein/lower/static_pair.hpp"
#include "ein/spec/bind.hpp"
#include "ein/spec/derive.hpp"
#include "ein/spec/error.hpp"

namespace ein::detail {

/// Whether a one-operand spec keeps every label of its operand: a copy, diagonal,
/// permutation or broadcast ("ii->i", "ij->ji"), which the single path evaluates.
constexpr bool keeps_every_label(const BoundSpec& s) {
  if (s.error.failed() || s.num_inputs != 1) return false;
  for (std::size_t d = 0; d < ix(s.inputs[0].rank); ++d)
    if (!s.in_output(s.inputs[0].labels[d])) return false;
  return true;
}

/// A run-time einsum's spec, shared by copies of the expression (and by the cache).
struct RuntimeSpec {
  struct Data {
    Data(const BoundSpec& b, std::string t)
        : bound(b),
          text(std::move(t)),
          pair(static_pair(b)),
          product(static_product(b)),
          single(keeps_every_label(b)) {}
    BoundSpec bound;
    std::string text;
    StaticPair pair;                // the two-operand fast path, as the compile-time spec has it
    StaticProduct product;          // the product path, likewise
    bool single;      // the single path applies

    /// Operand k's gradient spec (autodiff/einsum.hpp), derived by the same constexpr
    /// code as a compile-time spec's, for every operand on the first call from any thread.
    [[nodiscard]] const BoundSpec& gradient(int k) const {
      derive_gradients();
      return gradients_[ix(k)].spec;
    }
    /// Its fast path (lower/static_pair.hpp's gradient_pair), as a compile-time spec has it.
    [[nodiscard]] const StaticPair& gradient_pair(int k) const {
      derive_gradients();
      return gradients_[ix(k)].pair;
    }

   private:
    struct Gradient {
      BoundSpec spec;
      StaticPair pair;
    };
    void derive_gradients() const {
      std::call_once(gradients_derived_, [this] {
        gradients_.resize(ix(bound.num_inputs));
        for (int i = 0; i < bound.num_inputs; ++i) {
          gradients_[ix(i)].spec = derive_gradient(bound, i);
          gradients_[ix(i)].pair = ein::gradient_pair(bound, gradients_[ix(i)].spec, i);
        }
      });
    }
    mutable std::once_flag gradients_derived_;
    mutable std::vector<Gradient> gradients_;  // (only specs differentiated pay for these)
  };
  std::shared_ptr<const Data> data;
  static constexpr bool compile_time = false;
  [[nodiscard]] const BoundSpec& bound() const { return data->bound; }
  [[nodiscard]] std::string_view text() const { return data->text; }
  [[nodiscard]] const StaticPair& pair() const { return data->pair; }
  [[nodiscard]] const StaticProduct& product() const { return data->product; }
  [[nodiscard]] bool single() const { return data->single; }
};

/// Bound specs each thread keeps. A program uses a few specs; one that builds
/// specs from data evicts the least recently used of a set of four.
inline constexpr int runtime_spec_cache_capacity = 64;

class RuntimeSpecCache {
 public:
  /// The entry for `text` bound to `ranks`, binding it on a miss. Throws spec_error.
  RuntimeSpec find(std::string_view text, const int* ranks, int n) {
    const std::uint64_t key = hash(text, ranks, n);
    Slot* set = slots_.data() + key % sets * ways;
    ++clock_;
    Slot* oldest = set;
    for (std::size_t w = 0; w < ways; ++w) {
      Slot& s = set[w];
      if (s.key == key && s.data && matches(*s.data, text, ranks, n)) {
        s.used = clock_;
        return {s.data};
      }
      if (s.used < oldest->used) oldest = &s;
    }
    return {insert(*oldest, key, text, ranks, n)};
  }
  [[nodiscard]] int size() const {
    int count = 0;
    for (const Slot& s : slots_) count += s.data ? 1 : 0;
    return count;
  }

 private:
  static constexpr std::size_t ways = 4;
  static constexpr std::size_t sets = ix(runtime_spec_cache_capacity) / ways;
  struct Slot {
    std::uint64_t key = 0;
    std::uint64_t used = 0;  // clock_ at the last hit; 0: empty
    std::shared_ptr<const RuntimeSpec::Data> data;
  };

  // Eight bytes at a time (a spec is a dozen characters): multiply and fold.
  static std::uint64_t mix(std::uint64_t h, std::uint64_t word) {
    h = (h ^ word) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 32);
  }
  static std::uint64_t hash(std::string_view text, const int* ranks, int n) {
    std::uint64_t h = text.size();
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      h = mix(h, word);
    }
    std::uint64_t tail = 0;
    for (std::size_t j = i; j < text.size(); ++j) tail = tail << 8 | static_cast<unsigned char>(text[j]);
    h = mix(h, tail);
    std::uint64_t rank_word = 0;
    for (int k = 0; k < n; ++k) rank_word = rank_word * 31 + static_cast<std::uint64_t>(ranks[k]);
    return mix(h, rank_word);
  }
  static bool matches(const RuntimeSpec::Data& d, std::string_view text, const int* ranks, int n) {
    if (d.bound.num_inputs != n || d.text != text) return false;  // (a bound spec's input ranks are the operands')
    for (int k = 0; k < n; ++k)
      if (d.bound.inputs[ix(k)].rank != ranks[k]) return false;
    return true;
  }
  [[gnu::noinline]] std::shared_ptr<const RuntimeSpec::Data> insert(Slot& slot, std::uint64_t key,
                                                                    std::string_view text, const int* ranks, int n) {
    const BoundSpec bound = bind(text, ranks, n);
    if (bound.error.failed()) throw spec_error(describe(bound.error, text));  // not kept: a bad spec is rare
    slot.data = std::make_shared<const RuntimeSpec::Data>(bound, std::string(text));
    slot.key = key;
    slot.used = clock_;
    return slot.data;
  }

  std::array<Slot, ix(runtime_spec_cache_capacity)> slots_{};
  std::uint64_t clock_ = 0;
};

inline RuntimeSpecCache& this_thread_runtime_specs() {
  thread_local RuntimeSpecCache cache;
  return cache;
}

/// `text` bound to operands of these ranks, from this thread's cache. Throws spec_error.
inline RuntimeSpec runtime_spec(std::string_view text, const int* ranks, int n) {
  return this_thread_runtime_specs().find(text, ranks, n);
}
/// How many bound specs this thread's cache holds (at most runtime_spec_cache_capacity).
inline int runtime_spec_cache_size() { return this_thread_runtime_specs().size(); }

}  // namespace ein::detail
