// Fuzz target: arbitrary bytes as an einsum spec and operands.
//
//   1. ein::parse: an error names a code, a position inside the text and the
//      character there; a success keeps every structural invariant; and it
//      accepts exactly what the reference oracle's own parser accepts (bar
//      ein's limits and the empty spec, which only ein rejects).
//   2. ein::bind, with ranks taken from the spec (or from the bytes): ids in
//      range, ranks as given, output labels in some input.
//   3. ein::einsum(std::string_view, ...) on small operands agrees with
//      ein::reference::einsum: both fail, or both give the same values.
//
// The only exceptions allowed out of ein are ein::spec_error and
// ein::shape_error; anything else, a crash or a sanitizer report is a bug.
//
// Input bytes: [flags][seed][seed][spec text ...]
//   flags bit 0-1: extra axes for each "..." (0-3)
//   flags bit 2:   ranks from the next bytes instead of from the spec
//   flags bit 3:   set one axis of one operand to extent 1 (broadcast)
//   flags bit 4:   make one axis of one operand one longer (a mismatch)
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "ein/backend/reference/naive.hpp"
#include "ein/ein.hpp"

namespace {

using ein::ErrorCode;
using ein::index_t;
using ein::reference::Array;

[[noreturn]] void bug(std::string_view spec, const std::string& what) {
  std::fprintf(stderr, "ein fuzz: spec \"%.*s\": %s\n", static_cast<int>(spec.size()), spec.data(), what.c_str());
  std::abort();
}
void expect(bool ok, std::string_view spec, const char* what) {
  if (!ok) bug(spec, what);
}

bool names_a_character(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_character:
    case ErrorCode::broken_ellipsis:
    case ErrorCode::two_ellipses:
    case ErrorCode::broken_arrow:
    case ErrorCode::two_arrows:
    case ErrorCode::output_label_not_in_input:
    case ErrorCode::output_label_repeated:
      return true;
    default:
      return false;
  }
}

// 1. The parser.
void check_parse(std::string_view text) {
  const ein::ParsedSpec spec = ein::parse(text);
  const ein::Error& e = spec.error;
  const std::string message = ein::describe(e, text);
  expect(message.starts_with("einsum \""), text, "describe() lacks the 'einsum \"<spec>\"' prefix");

  bool reference_accepts = true;
  try {
    (void)ein::reference::parse(text);
  } catch (const std::invalid_argument&) {
    reference_accepts = false;
  }

  if (e.failed()) {
    expect(e.position >= -1 && e.position < static_cast<int>(text.size()), text, "error position outside the text");
    if (names_a_character(e.code)) {
      expect(e.position >= 0, text, "error names no position");
      expect(text[e.position] == e.character, text, "error character is not the one at its position");
    }
    const bool ein_only = e.code == ErrorCode::empty_spec || e.code == ErrorCode::term_too_long ||
                          e.code == ErrorCode::too_many_operands;
    if (reference_accepts && !ein_only) bug(text, "ein rejects what the reference accepts: " + message);
    return;
  }
  expect(reference_accepts, text, "ein accepts what the reference rejects");
  expect(spec.num_inputs >= 1 && spec.num_inputs <= ein::max_operands, text, "operand count out of range");
  const auto check_term = [&](const ein::Term& t) {
    expect(t.count >= 0 && t.count <= ein::max_rank, text, "term length out of range");
    expect(t.ellipsis_at >= -1 && t.ellipsis_at <= t.count, text, "ellipsis index out of range");
    for (int i = 0; i < t.count; ++i) expect(ein::is_label(t.labels[i]), text, "a term holds a non-label");
  };
  for (int k = 0; k < spec.num_inputs; ++k) check_term(spec.inputs[k]);
  check_term(spec.output);
  for (int i = 0; i < spec.output.count; ++i) {
    const char label = spec.output.labels[i];
    expect(spec.output.occurrences(label) == 1, text, "an output label is repeated");
    bool found = false;
    for (int k = 0; k < spec.num_inputs; ++k) found = found || spec.inputs[k].occurrences(label) > 0;
    expect(found, text, "an output label is in no input");
  }
}

// 2. The binder.
void check_bind(std::string_view text, const int* ranks, int n) {
  const ein::BoundSpec b = ein::bind(text, ranks, n);
  if (b.error.failed()) {
    expect(!ein::describe(b.error, text).empty(), text, "empty message");
    return;
  }
  expect(b.num_inputs == n && b.num_labels <= ein::max_labels, text, "bound counts out of range");
  for (int k = 0; k < n; ++k) {
    expect(b.inputs[k].rank == ranks[k], text, "a bound term's rank differs from its operand's");
    for (int d = 0; d < b.inputs[k].rank; ++d) expect(b.inputs[k].labels[d] < b.num_labels, text, "label id out of range");
  }
  expect(b.output.rank <= ein::max_rank, text, "output rank out of range");
  for (int d = 0; d < b.output.rank; ++d) {
    bool found = false;
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < b.inputs[k].rank; ++j) found = found || b.inputs[k].labels[j] == b.output.labels[d];
    expect(found, text, "a bound output label is in no input");
  }
}

// 3. The evaluator, for the operand ranks instantiated below.
struct Setup {
  std::uint8_t flags = 0;
  std::uint32_t seed = 1;
  std::array<index_t, ein::max_labels> extent{};  // per bound label
  ein::BoundSpec bound{};  // when it failed, operands get extents 0-2 at random
};

std::uint32_t next(std::uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return state >> 16;
}

template <std::size_t R>
ein::Tensor<double, R> make_operand(const Setup& s, int k, std::uint32_t& state) {
  ein::Extents<R> extents{};
  for (std::size_t d = 0; d < R; ++d)
    extents[d] = s.bound.error.failed() ? static_cast<index_t>(next(state) % 3) : s.extent[s.bound.inputs[k].labels[d]];
  if constexpr (R > 0) {
    const std::size_t axis = next(state) % R;
    if ((s.flags & 8) && next(state) % 2) extents[axis] = 1;
    if ((s.flags & 16) && static_cast<int>(next(state) % 3) == k) extents[axis] += 1;
  }
  ein::Tensor<double, R> t(extents);
  for (index_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<double>(static_cast<int>(next(state) % 5) - 2);
  return t;
}

template <class Expr, std::size_t... R>
Array<double> eval_any_rank(const Expr& expr, std::index_sequence<R...>) {
  Array<double> out;
  const bool done = ((expr.rank() == static_cast<int>(R) ? (out = ein::reference::to_array(expr.template eval<R>()), true)
                                                         : false) || ...);
  if (!done) throw std::out_of_range("output rank beyond the fuzzer's table");
  return out;
}

// Braced initialization runs left to right, so the operands draw from `state` in order.
template <std::size_t... R, std::size_t... K>
std::tuple<ein::Tensor<double, R>...> make_operands(const Setup& s, std::index_sequence<K...>) {
  std::uint32_t state = s.seed;
  return {make_operand<R>(s, static_cast<int>(K), state)...};
}

template <std::size_t... R>
void evaluate(std::string_view text, const Setup& s) {
  const auto ops = make_operands<R...>(s, std::index_sequence_for<ein::Tensor<double, R>...>{});

  bool ein_ok = true, ref_ok = true;
  std::string ein_error, ref_error;
  Array<double> got, want;
  try {
    got = std::apply([&](const auto&... op) { return eval_any_rank(ein::einsum(text, op...), std::make_index_sequence<7>{}); }, ops);
    (void)std::apply([&](const auto&... op) { return ein::einsum_path(text, op...).to_string(); }, ops);
  } catch (const ein::spec_error& e) {
    ein_ok = false;
    ein_error = e.what();
  } catch (const ein::shape_error& e) {
    ein_ok = false;
    ein_error = e.what();
  } catch (const std::out_of_range&) {
    return;  // an output rank past the table: nothing to compare
  }
  try {
    want = std::apply([&](const auto&... op) { return ein::reference::einsum(text, ein::reference::to_array(op)...); }, ops);
  } catch (const std::invalid_argument& e) {
    ref_ok = false;
    ref_error = e.what();
  }
  if (ein_ok != ref_ok) bug(text, ein_ok ? "ein evaluates, the reference throws: " + ref_error
                                         : "the reference evaluates, ein throws: " + ein_error);
  if (!ein_ok) {
    expect(ein_error.starts_with("einsum \""), text, "an ein exception lacks the 'einsum \"<spec>\"' prefix");
    return;
  }
  expect(got.extents == want.extents, text, "result extents differ from the reference");
  expect(got.values == want.values, text, "result values differ from the reference");
}

using Evaluate = void (*)(std::string_view, const Setup&);
struct Entry {
  int n;
  std::array<int, 3> ranks;
  Evaluate run;
};
template <std::size_t... R>
constexpr Entry entry() {
  return {static_cast<int>(sizeof...(R)), {static_cast<int>(R)...}, &evaluate<R...>};
}
// Operand ranks the evaluator is instantiated for: each entry is one einsum instantiation.
constexpr Entry table[] = {
    entry<0>(),       entry<1>(),       entry<2>(),       entry<3>(),       entry<4>(),
    entry<0, 0>(),    entry<0, 1>(),    entry<1, 0>(),    entry<1, 1>(),    entry<1, 2>(),
    entry<2, 1>(),    entry<2, 2>(),    entry<2, 3>(),    entry<3, 2>(),    entry<3, 3>(),
    entry<1, 1, 1>(), entry<1, 2, 1>(), entry<2, 2, 1>(), entry<2, 2, 2>(), entry<2, 1, 2>(),
};

// Extents 0-3 per label, shrunk until the oracle's loop nest stays small.
void choose_extents(Setup& s, std::uint32_t state) {
  index_t work = 1;
  for (int l = 0; l < s.bound.num_labels; ++l) {
    const std::uint32_t r = next(state) % 8;
    s.extent[l] = r == 0 ? 0 : r < 3 ? 1 : r < 6 ? 2 : 3;
    work *= std::max<index_t>(s.extent[l], 1);
  }
  for (int l = 0; l < s.bound.num_labels && work > 4096; ++l)
    if (s.extent[l] > 1) {
      work /= s.extent[l];
      s.extent[l] = 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  Setup s;
  s.flags = data[0];
  s.seed = 1u + data[1] * 256u + data[2];
  std::string_view text(reinterpret_cast<const char*>(data) + 3, size - 3);
  if (text.size() > 96) text = text.substr(0, 96);

  check_parse(text);

  const ein::ParsedSpec parsed = ein::parse(text);
  if (parsed.error.failed()) return 0;
  int ranks[ein::max_operands]{};
  const int n = parsed.num_inputs;
  std::uint32_t state = s.seed;
  for (int k = 0; k < n; ++k) {
    const ein::Term& term = parsed.inputs[k];
    ranks[k] = term.count + (term.has_ellipsis() ? static_cast<int>(next(state) % 4 % ((s.flags & 3) + 1)) : 0);
    if (s.flags & 4) ranks[k] = static_cast<int>(next(state) % 5);
  }
  check_bind(text, ranks, n);

  s.bound = ein::bind(parsed, ranks, n);
  if (!s.bound.error.failed()) choose_extents(s, state);
  for (const Entry& e : table) {
    if (e.n != n) continue;
    bool same = true;
    for (int k = 0; k < n; ++k) same = same && e.ranks[k] == ranks[k];
    if (same) e.run(text, s);
  }
  return 0;
}
