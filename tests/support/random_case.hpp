// Random einsum cases for the differential test: a spec, operand extents and
// values, drawn for a fixed operand-rank signature. Knows nothing of ein's
// engine; the oracle (ein::reference) checks each case is valid.
//
// What a case may hold, by signature (operand ranks, output rank):
//   1. repeated labels in one term (diagonals) and labels summed within one term;
//   2. "..." covering 0..3 axes, aligned from the right, some of extent 1 (broadcast);
//   3. named labels of extent 1 in one operand and n in another (broadcast);
//   4. zero-size extents; rank-0 operands and outputs;
//   5. implicit and explicit outputs, an explicit output without "..." (summed);
//   6. upper- and lowercase labels, whitespace between tokens.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ein/backend/reference/naive.hpp"

namespace ein_test {

using ein::index_t;

/// splitmix64: tiny, and the same stream on every platform (std distributions are not).
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * (static_cast<double>(next() >> 11) * 0x1.0p-53); }
};

/// Operand ranks and output rank of a case. The engine glue instantiates one
/// einsum per signature, so the table is short and fixed.
struct Signature {
  int operands;
  std::array<int, 4> ranks;
  int output;
};

/// A generated case: spec text, extents per operand, values in double.
struct Case {
  std::string spec;
  std::vector<std::vector<index_t>> extents;
  std::vector<std::vector<double>> values;
  index_t loop_size = 1;  // product of every label's extent: the oracle's work
};

inline std::string describe(const Case& c) {
  std::string out = "spec \"" + c.spec + "\" extents";
  for (const auto& e : c.extents) {
    out += " (";
    for (std::size_t d = 0; d < e.size(); ++d) {  // piecewise: g++ 12's false -Wrestrict (GCC bug 105329)
      if (d) out += ',';
      out += std::to_string(e[d]);
    }
    out += ")";
  }
  return out;
}

namespace detail {

constexpr const char* alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

struct Term {
  std::string letters;
  int ellipsis_at = -1;  // -1: none
  int ellipsis_rank = 0;
};

inline std::string join(const std::vector<std::string>& tokens, Rng& rng, double space) {
  std::string out;
  for (const std::string& t : tokens) {
    if (rng.chance(space)) out += rng.chance(0.8) ? " " : (rng.chance(0.5) ? "\t" : "  ");
    out += t;
  }
  if (rng.chance(space)) out += ' ';
  return out;
}

inline std::vector<std::string> term_tokens(const Term& t) {
  std::vector<std::string> tokens;
  for (int i = 0; i <= static_cast<int>(t.letters.size()); ++i) {
    if (i == t.ellipsis_at) tokens.emplace_back("...");
    if (i < static_cast<int>(t.letters.size())) tokens.emplace_back(1, t.letters[static_cast<std::size_t>(i)]);
  }
  return tokens;
}

// Tries once to draw a spec for the signature; returns false when the output rank misses.
inline bool draw_spec(const Signature& sig, Rng& rng, std::vector<Term>& inputs, Term& output, bool& explicit_output) {
  // A small pool makes shared labels and repeats likely; sometimes uppercase.
  std::string pool;
  const int pool_size = 1 + rng.below(6);
  while (static_cast<int>(pool.size()) < pool_size) {
    const char c = detail::alphabet[rng.chance(0.25) ? 26 + rng.below(26) : rng.below(26)];
    if (pool.find(c) == std::string::npos) pool += c;
  }
  inputs.assign(static_cast<std::size_t>(sig.operands), Term{});
  int broadcast_rank = 0;
  bool any_ellipsis = false;
  for (int k = 0; k < sig.operands; ++k) {
    Term& t = inputs[static_cast<std::size_t>(k)];
    const int rank = sig.ranks[static_cast<std::size_t>(k)];
    const bool has_ellipsis = rng.chance(0.3);
    if (has_ellipsis) t.ellipsis_rank = rng.below(std::min(rank, 3) + 1);  // may cover no axes
    const int letters = rank - t.ellipsis_rank;
    for (int i = 0; i < letters; ++i) t.letters += pool[static_cast<std::size_t>(rng.below(pool_size))];
    t.ellipsis_at = has_ellipsis ? rng.below(letters + 1) : -1;
    any_ellipsis = any_ellipsis || has_ellipsis;
    broadcast_rank = std::max(broadcast_rank, t.ellipsis_rank);
  }

  std::string all;
  for (const Term& t : inputs) all += t.letters;
  output = Term{};
  explicit_output = rng.chance(0.65);
  if (explicit_output) {
    std::string distinct;
    for (char c : all)
      if (distinct.find(c) == std::string::npos) distinct += c;
    const bool with_ellipsis = any_ellipsis && rng.chance(0.6);
    const int letters = sig.output - (with_ellipsis ? broadcast_rank : 0);
    if (letters < 0 || letters > static_cast<int>(distinct.size())) return false;
    for (int i = 0; i < letters; ++i) {
      const std::size_t pick = static_cast<std::size_t>(rng.below(static_cast<int>(distinct.size())));
      output.letters += distinct[pick];
      distinct.erase(pick, 1);
    }
    if (with_ellipsis) output.ellipsis_at = rng.below(letters + 1);
    return true;
  }
  int once = 0;
  for (char c : all) once += std::count(all.begin(), all.end(), c) == 1;
  return once + (any_ellipsis ? broadcast_rank : 0) == sig.output;
}

}  // namespace detail

/// Draws a valid case for `sig`: extents up to `largest`, loop size at most `budget`.
inline Case random_case(const Signature& sig, Rng& rng, index_t budget = 4096, int largest = 4) {
  std::vector<detail::Term> inputs;
  detail::Term output;
  bool explicit_output = false;
  for (int tries = 0; !detail::draw_spec(sig, rng, inputs, output, explicit_output); ++tries)
    if (tries > 10000) throw std::logic_error("random_case: no spec fits the signature");

  Case c;
  std::vector<std::string> tokens;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (k) tokens.emplace_back(",");
    for (std::string& t : detail::term_tokens(inputs[k])) tokens.push_back(std::move(t));
  }
  if (tokens.empty()) explicit_output = true;  // an empty spec is an error: one rank-0 operand reads "->"
  if (explicit_output) {
    tokens.emplace_back("->");
    for (std::string& t : detail::term_tokens(output)) tokens.push_back(std::move(t));
  }
  c.spec = detail::join(tokens, rng, rng.chance(0.3) ? 0.3 : 0.0);

  // Extents: one per letter and per ellipsis dimension, then per-operand size-1 broadcasts.
  int broadcast_rank = 0;
  for (const auto& t : inputs) broadcast_rank = std::max(broadcast_rank, t.ellipsis_rank);
  const bool allow_zero = rng.chance(0.08);
  const double p_one = rng.chance(0.5) ? 0.15 : 0.0;
  for (int attempt = 0;; ++attempt) {
    const int top = std::max(largest >> (attempt / 16), attempt < 64 ? 3 : 2);  // shrink until it fits
    std::array<index_t, 128> letter{};
    std::array<index_t, 3> ellipsis{};
    for (auto& e : letter) e = allow_zero && rng.chance(0.1) ? 0 : 1 + rng.below(top);
    for (auto& e : ellipsis) e = allow_zero && rng.chance(0.1) ? 0 : 1 + rng.below(top);
    c.extents.clear();
    for (const auto& t : inputs) {
      std::array<bool, 128> one{};
      for (auto&& b : one) b = rng.chance(p_one);
      std::vector<index_t> ext;
      for (int i = 0; i <= static_cast<int>(t.letters.size()); ++i) {
        if (i == t.ellipsis_at)
          for (int d = broadcast_rank - t.ellipsis_rank; d < broadcast_rank; ++d)
            ext.push_back(rng.chance(p_one) ? 1 : ellipsis[static_cast<std::size_t>(d)]);
        if (i < static_cast<int>(t.letters.size())) {
          const auto l = static_cast<std::size_t>(t.letters[static_cast<std::size_t>(i)]);
          ext.push_back(one[l] ? 1 : letter[l]);
        }
      }
      c.extents.push_back(std::move(ext));
    }
    std::string seen;
    c.loop_size = 1;
    for (const auto& t : inputs)
      for (char l : t.letters)
        if (seen.find(l) == std::string::npos) {
          seen += l;
          c.loop_size *= letter[static_cast<std::size_t>(l)];
        }
    for (int d = 0; d < broadcast_rank; ++d) c.loop_size *= ellipsis[static_cast<std::size_t>(d)];
    if (c.loop_size <= budget) break;
  }
  for (const auto& e : c.extents) {
    std::vector<double> v(static_cast<std::size_t>(ein::reference::Array<double>::count(e)));
    for (double& x : v) x = rng.uniform(-1.0, 1.0);
    c.values.push_back(std::move(v));
  }
  return c;
}

/// The case's operands as oracle arrays of T.
template <class T>
std::vector<ein::reference::Array<T>> arrays(const Case& c) {
  std::vector<ein::reference::Array<T>> out;
  for (std::size_t k = 0; k < c.extents.size(); ++k)
    out.emplace_back(c.extents[k], std::vector<T>(c.values[k].begin(), c.values[k].end()));
  return out;
}

}  // namespace ein_test

namespace ein_test {

/// A two-operand spec shaped like a (batched) GEMM, the shape ein's
/// compile-time fast path takes: batch, M, N and K labels in random orders,
/// uppercase sometimes, an ellipsis sometimes (as batch labels). With
/// probability `general`, a label summed within A or a diagonal in B sends it
/// down the general path instead. Extents 1..5.
inline Case random_pair_case(Rng& rng, double general = 0.2) {
  std::string used;
  const auto fresh = [&] {
    char c = 0;
    do c = detail::alphabet[rng.chance(0.3) ? 26 + rng.below(26) : rng.below(26)];
    while (used.find(c) != std::string::npos);
    used += c;
    return c;
  };
  const auto shuffle = [&](std::string s) {
    for (std::size_t i = s.size(); i > 1; --i)
      std::swap(s[i - 1], s[static_cast<std::size_t>(rng.below(static_cast<int>(i)))]);
    return s;
  };
  std::string batch, m, n, k;
  for (int i = rng.below(3); i > 0; --i) batch += fresh();
  for (int i = rng.below(3); i > 0; --i) m += fresh();
  for (int i = rng.below(3); i > 0; --i) n += fresh();
  for (int i = 1 + rng.below(2); i > 0; --i) k += fresh();
  std::string a = shuffle(batch + m + k), b = shuffle(batch + k + n), c = shuffle(batch + m + n);
  if (rng.chance(general)) {
    if (rng.chance(0.5)) a.insert(static_cast<std::size_t>(rng.below(static_cast<int>(a.size()) + 1)), 1, fresh());
    else b.insert(static_cast<std::size_t>(rng.below(static_cast<int>(b.size()) + 1)), 1, b[0]);
  }
  const bool ellipsis = rng.chance(0.2);
  Case out;
  out.spec = (ellipsis ? "..." : "") + a + "," + (ellipsis ? "..." : "") + b + "->" + (ellipsis ? "..." : "") + c;
  std::array<index_t, 128> extent{};
  for (auto& e : extent) e = 1 + rng.below(5);
  const index_t ellipsis_extent = 1 + rng.below(3);
  for (const std::string* term : {&a, &b}) {
    std::vector<index_t> e(ellipsis ? 1 : 0, ellipsis_extent);
    for (char l : *term) e.push_back(extent[static_cast<std::size_t>(l)]);
    out.extents.push_back(std::move(e));
  }
  return out;
}

}  // namespace ein_test
