// The reference backend: a deliberately naive einsum, the project's oracle.
// It has its own small parser (never ein::parse / ein::bind), so agreeing with
// it checks ein's parser as well as its plans and backends. Layer: backend.
//
// How it computes: every label (letters and ellipsis dimensions alike) gets
// one extent; the oracle loops over every combination of all label values and
// adds the product of the operands' elements to the output element. Nothing
// is clever, nothing is fast; keep it that way.
//
// Grammar (NumPy/PyTorch):
//   spec   := inputs [ "->" output ]      inputs := term { "," term }
//   term   := { label | "..." }           label  := a-z | A-Z
// Whitespace (space, tab, CR, LF) may stand between any two tokens; "..." and
// "->" are single tokens. The rules it enforces, and the cases it handles:
//   1. Implicit output: the ellipsis dimensions, then every label that occurs
//      exactly once across all input terms, sorted by character code.
//   2. Ellipsis: each operand's "..." covers (rank - letters) axes; these are
//      aligned from the right across operands (NumPy broadcasting).
//   3. An explicit output without "..." sums the ellipsis dimensions (PyTorch).
//   4. A label repeated in one term walks that operand's diagonal; its
//      extents within that operand must be equal.
//   5. Across operands a label's (or an ellipsis dimension's) extents must be
//      equal, or 1: an extent of 1 is broadcast (1 with 0 gives 0).
//   6. A label in no output is summed; zero-size extents give zero sums or
//      empty outputs; rank-0 operands and outputs hold one element.
// An empty (or all-blank) spec is one rank-0 term, as in NumPy: the identity
// of one scalar, an error with any other operands.
// Everything else (bad characters, "..", "-" without ">", a second "->", two
// ellipses in a term, a ',' in the output, an output label repeated or absent
// from the inputs, "..." in the output but in no input, a wrong operand count
// or rank, extents that disagree) throws std::invalid_argument.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ein/tensor/tensor.hpp"
#include "ein/tensor/view.hpp"

namespace ein::reference {

/// A dynamic-rank, dense, row-major array: the oracle's only data type.
template <class T>
struct Array {
  std::vector<index_t> extents;
  std::vector<T> values;

  Array() : values(1, T{}) {}  // rank 0, one zero
  /// Zero-filled array of the given extents.
  explicit Array(std::vector<index_t> e) : extents(std::move(e)) {
    for (index_t x : extents)
      if (x < 0) throw std::invalid_argument("reference::Array: negative extent");
    values.assign(static_cast<std::size_t>(count(extents)), T{});
  }
  Array(std::vector<index_t> e, std::vector<T> v) : extents(std::move(e)), values(std::move(v)) {
    for (index_t x : extents)
      if (x < 0) throw std::invalid_argument("reference::Array: negative extent");
    if (static_cast<index_t>(values.size()) != count(extents))
      throw std::invalid_argument("reference::Array: value count differs from the product of the extents");
  }

  [[nodiscard]] std::size_t rank() const { return extents.size(); }
  [[nodiscard]] index_t size() const { return static_cast<index_t>(values.size()); }
  /// Element at a multi-index (row-major).
  [[nodiscard]] T& at(std::initializer_list<index_t> index) { return values[offset(index)]; }
  [[nodiscard]] const T& at(std::initializer_list<index_t> index) const { return values[offset(index)]; }

  static index_t count(const std::vector<index_t>& e) {
    index_t n = 1;
    for (index_t x : e) n *= x;
    return n;
  }

 private:
  std::size_t offset(std::initializer_list<index_t> index) const {
    if (index.size() != extents.size()) throw std::invalid_argument("reference::Array::at: wrong index count");
    index_t off = 0;
    std::size_t d = 0;
    for (index_t i : index) {
      if (i < 0 || i >= extents[d]) throw std::invalid_argument("reference::Array::at: index out of range");
      off = off * extents[d++] + i;
    }
    return static_cast<std::size_t>(off);
  }
};

/// One parsed term: its letters and where "..." stands (before letters[ellipsis_at]).
struct Term {
  std::string letters;
  bool has_ellipsis = false;
  std::size_t ellipsis_at = 0;
};

/// A parsed spec; `output` is filled in for an implicit output too.
struct Spec {
  std::vector<Term> inputs;
  Term output;
  bool explicit_output = false;
};

namespace detail {

inline bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

[[noreturn]] inline void fail(std::string_view spec, const std::string& why) {
  throw std::invalid_argument("reference::einsum \"" + std::string(spec) + "\": " + why);
}

}  // namespace detail

/// Parses a spec; throws std::invalid_argument when it is malformed.
inline Spec parse(std::string_view text) {
  Spec spec;
  spec.inputs.emplace_back();
  Term* term = &spec.inputs.back();
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (detail::is_blank(c)) continue;
    if (detail::is_letter(c)) {
      term->letters += c;
    } else if (c == '.') {
      if (text.substr(pos, 3) != "...") detail::fail(text, "a '.' outside an ellipsis");
      if (term->has_ellipsis) detail::fail(text, "two ellipses in one term");
      term->has_ellipsis = true;
      term->ellipsis_at = term->letters.size();
      pos += 2;
    } else if (c == ',') {
      if (spec.explicit_output) detail::fail(text, "a ',' in the output");
      spec.inputs.emplace_back();
      term = &spec.inputs.back();
    } else if (c == '-') {
      if (text.substr(pos, 2) != "->") detail::fail(text, "a '-' not followed by '>'");
      if (spec.explicit_output) detail::fail(text, "a second '->'");
      spec.explicit_output = true;
      term = &spec.output;
      ++pos;
    } else {
      detail::fail(text, std::string("the character '") + c + "'");
    }
  }

  bool input_ellipsis = false;
  for (const Term& t : spec.inputs) input_ellipsis = input_ellipsis || t.has_ellipsis;
  if (spec.explicit_output) {
    const std::string& out = spec.output.letters;
    if (spec.output.has_ellipsis && !input_ellipsis) detail::fail(text, "an output ellipsis but no input ellipsis");
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out.find(out[i]) != i) detail::fail(text, std::string("output label '") + out[i] + "' repeated");
      bool found = false;
      for (const Term& t : spec.inputs) found = found || t.letters.find(out[i]) != std::string::npos;
      if (!found) detail::fail(text, std::string("output label '") + out[i] + "' in no input");
    }
  } else {
    // Rule 1: ellipsis first, then the labels that occur once, by character code.
    std::string all;
    for (const Term& t : spec.inputs) all += t.letters;
    std::string once;
    for (char c : all)
      if (std::count(all.begin(), all.end(), c) == 1) once += c;
    std::sort(once.begin(), once.end());
    spec.output.letters = once;
    spec.output.has_ellipsis = input_ellipsis;
    spec.output.ellipsis_at = 0;
  }
  return spec;
}

/// An einsum result with, per output element, the sum of |product| over the
/// products added into it: the scale a floating-point comparison should be relative to.
template <class T>
struct Result {
  Array<T> value;
  Array<T> magnitude;
  index_t products = 0;  // products added into each output element (the summed labels' extents, multiplied)
};

/// The naive einsum with magnitudes (see Result). Accumulates in long double.
template <class T>
Result<T> einsum_with_magnitude(std::string_view text, const std::vector<Array<T>>& operands) {
  const Spec spec = parse(text);
  const std::size_t n = spec.inputs.size();
  if (operands.size() != n)
    detail::fail(text, std::to_string(n) + " input terms but " + std::to_string(operands.size()) + " operands");

  // Rule 2: how many axes each "..." covers; the broadcast ellipsis has the most.
  std::size_t broadcast_rank = 0;
  std::vector<std::size_t> ellipsis_rank(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    const Term& t = spec.inputs[k];
    const std::size_t rank = operands[k].rank();
    if (static_cast<index_t>(operands[k].values.size()) != Array<T>::count(operands[k].extents))
      detail::fail(text, "operand " + std::to_string(k) + " has the wrong number of values");
    if (t.has_ellipsis ? rank < t.letters.size() : rank != t.letters.size())
      detail::fail(text, "operand " + std::to_string(k) + " has rank " + std::to_string(rank) + ", its term has " +
                             std::to_string(t.letters.size()) + " labels");
    ellipsis_rank[k] = t.has_ellipsis ? rank - t.letters.size() : 0;
    broadcast_rank = std::max(broadcast_rank, ellipsis_rank[k]);
  }

  // Label ids: letters by character code (0..127), ellipsis dimension d is 128 + d.
  const std::size_t num_ids = 128 + broadcast_rank;
  const auto axis_ids = [&](const Term& t, std::size_t e_rank) {
    std::vector<std::size_t> ids;
    for (std::size_t i = 0; i <= t.letters.size(); ++i) {
      if (t.has_ellipsis && i == t.ellipsis_at)
        for (std::size_t d = broadcast_rank - e_rank; d < broadcast_rank; ++d) ids.push_back(128 + d);
      if (i < t.letters.size()) ids.push_back(static_cast<unsigned char>(t.letters[i]));
    }
    return ids;
  };
  std::vector<std::vector<std::size_t>> ids(n);
  for (std::size_t k = 0; k < n; ++k) ids[k] = axis_ids(spec.inputs[k], ellipsis_rank[k]);
  const std::vector<std::size_t> out_ids = axis_ids(spec.output, broadcast_rank);

  const auto name = [](std::size_t id) {
    return id < 128 ? std::string("label '") + static_cast<char>(id) + "'"
                    : "ellipsis dimension " + std::to_string(id - 128);
  };
  // Rules 4 and 5: one extent per label; -1 while no operand has spoken.
  std::vector<index_t> extent(num_ids, -1);
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<index_t> mine(num_ids, -1);
    for (std::size_t a = 0; a < ids[k].size(); ++a) {
      const std::size_t id = ids[k][a];
      const index_t e = operands[k].extents[a];
      if (mine[id] >= 0 && mine[id] != e)
        detail::fail(text, name(id) + " repeats in operand " + std::to_string(k) + " with extents " +
                               std::to_string(mine[id]) + " and " + std::to_string(e));
      mine[id] = e;
    }
    for (std::size_t id = 0; id < num_ids; ++id) {
      if (mine[id] < 0) continue;
      if (extent[id] < 0 || extent[id] == 1) {
        extent[id] = mine[id];
      } else if (mine[id] != 1 && mine[id] != extent[id]) {
        detail::fail(text, name(id) + " has extent " + std::to_string(extent[id]) + " and extent " +
                               std::to_string(mine[id]) + " in operand " + std::to_string(k));
      }
    }
  }

  std::vector<index_t> out_extents;
  for (std::size_t id : out_ids) out_extents.push_back(extent[id]);
  Result<T> result{Array<T>(out_extents), Array<T>(out_extents), 1};
  std::vector<long double> sum(result.value.values.size(), 0.0L), magnitude(sum.size(), 0.0L);

  // The loop over every combination of every label's value (an odometer).
  std::vector<std::size_t> used;
  for (std::size_t id = 0; id < num_ids; ++id)
    if (extent[id] >= 0) used.push_back(id);
  bool empty = false;
  for (std::size_t id : used) {
    empty = empty || extent[id] == 0;
    if (std::find(out_ids.begin(), out_ids.end(), id) == out_ids.end()) result.products *= extent[id];
  }
  std::vector<index_t> value(num_ids, 0);
  // (Raw pointers in the odometer's body: at -O0, as the sanitizer tests build it,
  // each std::vector::operator[] is a call, and they were most of the oracle's time.)
  index_t* const at = value.data();
  while (!empty) {
    long double product = 1.0L;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t* const id = ids[k].data();
      const index_t* const e = operands[k].extents.data();
      index_t off = 0;
      for (std::size_t a = 0, rank = ids[k].size(); a < rank; ++a)
        off = off * e[a] + (e[a] == 1 ? 0 : at[id[a]]);  // rule 5: an extent of 1 is broadcast
      product *= static_cast<long double>(operands[k].values.data()[off]);
    }
    index_t out = 0;
    for (std::size_t id : out_ids) out = out * extent[id] + at[id];
    sum.data()[out] += product;
    magnitude.data()[out] += std::fabs(product);

    std::size_t d = used.size();
    while (d > 0) {
      --d;
      if (++value[used[d]] < extent[used[d]]) break;
      value[used[d]] = 0;
      if (d == 0) empty = true;
    }
    if (used.empty()) empty = true;
  }
  for (std::size_t i = 0; i < sum.size(); ++i) {
    result.value.values[i] = static_cast<T>(sum[i]);
    result.magnitude.values[i] = static_cast<T>(magnitude[i]);
  }
  return result;
}

/// The naive einsum: `einsum("ij,jk->ik", {A, B})`.
template <class T>
Array<T> einsum(std::string_view spec, const std::vector<Array<T>>& operands) {
  return einsum_with_magnitude(spec, operands).value;
}

/// The naive einsum over arrays given one by one: `einsum("ij,jk->ik", A, B)`.
template <class T, class... More>
  requires(std::same_as<More, Array<T>> && ...)
Array<T> einsum(std::string_view spec, const Array<T>& first, const More&... more) {
  return einsum_with_magnitude(spec, std::vector<Array<T>>{first, more...}).value;
}

/// Copies a (possibly strided) view into an Array.
template <class T, std::size_t R>
Array<std::remove_const_t<T>> to_array(const TensorView<T, R>& view) {
  Array<std::remove_const_t<T>> out(std::vector<index_t>(view.extents().begin(), view.extents().end()));
  std::size_t i = 0;
  ein::detail::for_each_index(view.extents(), [&](const std::array<index_t, R>& at) {
    index_t off = 0;
    for (std::size_t d = 0; d < R; ++d) off += at[d] * view.stride(d);
    out.values[i++] = view.data()[off];
  });
  return out;
}

template <class T, std::size_t R>
Array<T> to_array(const Tensor<T, R>& tensor) {
  return to_array(tensor.view());
}

/// Copies an Array of rank R into a Tensor; throws std::invalid_argument on another rank.
template <std::size_t R, class T>
Tensor<T, R> to_tensor(const Array<T>& array) {
  if (array.rank() != R) throw std::invalid_argument("reference::to_tensor: rank differs");
  Extents<R> extents{};
  for (std::size_t d = 0; d < R; ++d) extents[d] = array.extents[d];  // not std::copy: g++ 12 -Wnonnull for R = 0
  Tensor<T, R> out(extents);
  std::copy(array.values.begin(), array.values.end(), out.data());
  return out;
}

}  // namespace ein::reference
