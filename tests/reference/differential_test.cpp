// Differential test: ein's run-time einsum(spec, ...) against the oracle
// (ein::reference::einsum) on thousands of random cases, in float and double,
// plus random malformed specs (ein::spec_error) and clashing extents
// (ein::shape_error). Seed: EIN_DIFF_SEED (default below); cases: EIN_DIFF_CASES.
//
// Each operand rank tuple costs one einsum instantiation, so cases are drawn
// for a fixed table of signatures (operand ranks, output rank), and operands
// reach ein as TensorView<const T, R> over dense, column-major, padded or
// reversed storage: one view type per rank, many layouts.
#include "ein/backend/reference/naive.hpp"
#include "ein/ein.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "check_support.hpp"
#include "random_case.hpp"

namespace {

using ein::index_t;
using ein::reference::Array;
using ein_test::Case;
using ein_test::Rng;
using ein_test::Signature;

// Every rank 0..6 as an operand and as the output; 1 to 4 operands.
constexpr std::array<Signature, 40> signatures{{
    {1, {0}, 0},          {1, {1}, 0},          {1, {1}, 1},          {1, {2}, 0},          {1, {2}, 1},
    {1, {2}, 2},          {1, {3}, 1},          {1, {3}, 2},          {1, {3}, 3},          {1, {4}, 2},
    {1, {5}, 3},          {1, {6}, 2},          {1, {6}, 6},          {2, {0, 0}, 0},       {2, {0, 2}, 2},
    {2, {1, 1}, 0},       {2, {1, 1}, 1},       {2, {1, 1}, 2},       {2, {2, 1}, 1},       {2, {2, 2}, 0},
    {2, {2, 2}, 2},       {2, {2, 2}, 4},       {2, {3, 2}, 3},       {2, {3, 3}, 2},       {2, {3, 3}, 3},
    {2, {4, 2}, 4},       {2, {4, 4}, 4},       {2, {5, 3}, 4},       {2, {6, 2}, 5},       {2, {2, 6}, 6},
    {3, {1, 1, 1}, 0},    {3, {2, 2, 2}, 2},    {3, {3, 2, 1}, 2},    {3, {2, 3, 2}, 3},    {3, {4, 1, 3}, 3},
    {3, {0, 2, 1}, 1},    {4, {1, 1, 1, 1}, 1}, {4, {2, 2, 2, 2}, 2}, {4, {2, 3, 1, 2}, 2}, {4, {3, 3, 2, 1}, 3},
}};

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 0) : fallback;
}

enum class Outcome { ok, spec_error, shape_error, other_error };

template <class T>
struct EinResult {
  Outcome outcome = Outcome::ok;
  Array<T> value;
  std::string what;
  std::vector<ein::StepKind> lowerings;  // of each step, as einsum_path reports the plan
  std::vector<std::string> nests;        // and each loop-lowered step's nest kernel
  std::vector<std::string> gemms;        // and each GEMM step's kernel (backend/gemm.hpp)
  Array<T> again;                        // the same call on copies at other addresses
  bool replayed = false;                 // which replayed a recorded program
};

/// Runs ein::einsum(spec, ...) for signature I; catches what it throws.
template <class T, std::size_t I>
EinResult<T> run_ein(const std::string& spec, const std::vector<Array<T>>& ops, Rng& rng) {
  constexpr Signature sig = signatures[I];
  std::array<std::vector<T>, 4> buffers, others;
  EinResult<T> r;
  try {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      const int layouts[] = {(static_cast<void>(K), rng.below(6))...};
      const std::tuple views{
          ein_test::lay_out<static_cast<std::size_t>(sig.ranks[K])>(ops[K], layouts[K], buffers[K])...};
      // The conversion to Tensor<T, R> calls eval<R>() too; one of them keeps the compile time down.
      r.value = ein::reference::to_array(
          ein::einsum(spec, std::get<K>(views)...).template eval<static_cast<std::size_t>(sig.output)>());
      // The same shapes at other addresses: a call of several steps replays the
      // program the first recorded (backend/host_program.hpp), on these pointers.
      const std::tuple again{
          ein_test::lay_out<static_cast<std::size_t>(sig.ranks[K])>(ops[K], layouts[K], others[K])...};
      const std::uint64_t replays = ein::detail::host_program_replays;
      r.again = ein::reference::to_array(
          ein::einsum(spec, std::get<K>(again)...).template eval<static_cast<std::size_t>(sig.output)>());
      r.replayed = ein::detail::host_program_replays != replays;
      for (const ein::PathStep& step : ein::einsum_path(spec, std::get<K>(views)...).steps) {
        r.lowerings.push_back(step.kind);
        if (!step.nest.empty()) r.nests.push_back(step.nest);
        if (step.kind == ein::StepKind::gemm || step.kind == ein::StepKind::batched_gemm)
          r.gemms.push_back(ein::to_string(step.kernel));
      }
    }(std::make_index_sequence<static_cast<std::size_t>(sig.operands)>{});
  } catch (const ein::spec_error& e) {
    r = {Outcome::spec_error, {}, e.what(), {}, {}, {}, {}, false};
  } catch (const ein::shape_error& e) {
    r = {Outcome::shape_error, {}, e.what(), {}, {}, {}, {}, false};
  } catch (const std::exception& e) {
    r = {Outcome::other_error, {}, e.what(), {}, {}, {}, {}, false};
  }
  return r;
}

template <class T>
using Runner = EinResult<T> (*)(const std::string&, const std::vector<Array<T>>&, Rng&);

template <class T, std::size_t... I>
constexpr std::array<Runner<T>, sizeof...(I)> make_runners(std::index_sequence<I...>) {
  return {&run_ein<T, I>...};
}

template <class T>
EinResult<T> run_ein(std::size_t signature, const std::string& spec, const std::vector<Array<T>>& ops, Rng& rng) {
  static constexpr auto runners = make_runners<T>(std::make_index_sequence<signatures.size()>{});
  return runners[signature](spec, ops, rng);
}

std::string name(Outcome o) {
  switch (o) {
    case Outcome::ok: return "a result";
    case Outcome::spec_error: return "ein::spec_error";
    case Outcome::shape_error: return "ein::shape_error";
    case Outcome::other_error: return "another exception";
  }
  return "?";
}

struct Tally {
  int valid = 0, spec_errors = 0, shape_errors = 0, failures = 0, new_kinds = 0;
  std::map<std::string, int> known;  // mismatches of an already reported kind, by kind
  std::map<std::string, int> lowerings;  // steps of agreeing results, by the lowering that ran them
  std::map<std::string, int> nests;      // loop-lowered steps of agreeing results, by nest kernel
  std::map<std::string, int> gemms;      // GEMM steps of agreeing results, by GEMM kernel
  int replayed = 0;                      // agreeing repeats that replayed a recorded program
  double worst = 0;                  // largest error / tolerance seen
};

// Mismatches of a kind already reported to the engine's owner (see the summary
// line): each kind is shown twice, not hundreds of times, so that new kinds stay
// visible. They still fail the test. Delete a kind here once ein is fixed.
template <class T>
std::string known_kind(const Case& c, const EinResult<T>& got, bool oracle_ok, const ein::reference::Result<T>& want) {
  (void)c, (void)got, (void)oracle_ok, (void)want;
  return {};  // none at present
}

// Reports the first mismatches in full; the summary line counts them all.
#define EIN_DIFF_MISMATCH(tally, kind, message)                                         \
  do {                                                                                  \
    ++(tally).failures;                                                                 \
    const int seen = (kind).empty() ? ++(tally).new_kinds : ++(tally).known[kind];      \
    if (seen <= ((kind).empty() ? 25 : 2)) FAIL_CHECK(message);                         \
  } while (false)

/// Runs one case through both; `expected_error` is what ein must throw when the
/// oracle rejects the case (Outcome::ok: the case must be valid).
template <class T>
void check_case(std::size_t signature, const Case& c, Outcome expected_error, Rng& rng, Tally& tally) {
  const std::vector<Array<T>> ops = ein_test::arrays<T>(c);
  bool oracle_ok = true;
  std::string oracle_why;
  ein::reference::Result<T> want;
  try {
    want = ein::reference::einsum_with_magnitude(c.spec, ops);
  } catch (const std::invalid_argument& e) {
    oracle_ok = false;
    oracle_why = e.what();
  }
  const EinResult<T> got = run_ein(signature, c.spec, ops, rng);
  const std::string where = ein_test::describe(c) + " (signature " + std::to_string(signature) + ")";
  const std::string kind = known_kind(c, got, oracle_ok, want);

  if (!oracle_ok) {
    if (expected_error == Outcome::ok) {
      EIN_DIFF_MISMATCH(tally, kind, "the generator made a case the oracle rejects: " << where << ": " << oracle_why);
      return;
    }
    if (got.outcome == expected_error) {
      ++(expected_error == Outcome::spec_error ? tally.spec_errors : tally.shape_errors);
      return;
    }
    EIN_DIFF_MISMATCH(tally, kind,
                      "MISMATCH " << where << ": the oracle rejects it (" << oracle_why << ") but ein gives "
                                  << name(got.outcome) << ", expected " << name(expected_error) << " " << got.what);
    return;
  }
  if (got.outcome != Outcome::ok) {
    EIN_DIFF_MISMATCH(tally, kind,
                      "MISMATCH " << where << ": the oracle computes it but ein throws " << name(got.outcome) << ": "
                                  << got.what);
    return;
  }
  ein_test::Comparison cmp = ein_test::compare(got.value, want, c.extents.size());
  if (cmp.agree) {  // and the repeat at other addresses
    const ein_test::Comparison again = ein_test::compare(got.again, want, c.extents.size());
    cmp.worst = std::max(cmp.worst, again.worst);
    if (!again.agree) {
      cmp = again;
      cmp.why = (got.replayed ? "replayed at other addresses: " : "again at other addresses: ") + cmp.why;
    }
  }
  tally.worst = std::max(tally.worst, cmp.worst);
  if (cmp.agree) {
    tally.replayed += got.replayed ? 1 : 0;
    for (ein::StepKind k : got.lowerings) ++tally.lowerings[ein::to_string(k)];
    for (const std::string& kernel : got.nests) ++tally.nests[kernel];
    for (const std::string& kernel : got.gemms) ++tally.gemms[kernel];
  }
  if (!cmp.agree) {
    EIN_DIFF_MISMATCH(tally, kind, "MISMATCH " << where << ": " << cmp.why);
    return;
  }
  ++tally.valid;
}

/// A malformed variant of a valid spec; the oracle confirms it is invalid.
std::string malform(const Case& c, Rng& rng) {
  std::string s = c.spec;
  const ein::reference::Spec spec = ein::reference::parse(s);
  const bool explicit_output = spec.explicit_output;
  std::string letters;
  bool input_ellipsis = false;
  for (const auto& t : spec.inputs) {
    letters += t.letters;
    input_ellipsis = input_ellipsis || t.has_ellipsis;
  }
  const auto insert_anywhere = [&](const std::string& what) {
    s.insert(static_cast<std::size_t>(rng.below(static_cast<int>(s.size()) + 1)), what);
  };
  const auto append_to_output = [&](const std::string& what) { s += (explicit_output ? "" : "->") + what; };
  int kind = rng.below(11);
  if ((kind == 6 && letters.empty()) || (kind == 8 && input_ellipsis)) kind = 0;
  switch (kind) {
    case 0: insert_anywhere(std::string(1, "1#_;*+(!?~0"[rng.below(11)])); break;  // not a label
    case 1: insert_anywhere("."); break;                                              // a broken ellipsis
    case 2: insert_anywhere("-"); break;                                              // a broken arrow
    case 3: insert_anywhere(">"); break;
    case 4: append_to_output(rng.chance(0.5) ? "->" : "->a"); break;  // two arrows
    case 5: append_to_output(","); break;                              // a ',' in the output
    case 6: {                                                          // an output label twice
      const char l = explicit_output && !spec.output.letters.empty()
                         ? spec.output.letters[0]
                         : letters[static_cast<std::size_t>(rng.below(static_cast<int>(letters.size())))];
      append_to_output(std::string(explicit_output && !spec.output.letters.empty() ? 1 : 2, l));
      break;
    }
    case 7: {  // an output label in no input
      char absent = 'a';
      while (letters.find(absent) != std::string::npos) ++absent;
      append_to_output(std::string(1, absent));
      break;
    }
    case 8: append_to_output("..."); break;                          // "..." in the output only
    case 9: s = (rng.chance(0.5) ? "......" : "... ...") + s; break;  // two ellipses in a term
    default: {                                                       // more terms than operands
      const std::size_t arrow = s.find("->");
      s.insert(arrow == std::string::npos ? s.size() : arrow, rng.chance(0.5) ? ",a" : ",");
      break;
    }
  }
  return s;
}

/// A variant of a valid case with one extent changed (and values redrawn).
Case reshape(const Case& c, Rng& rng) {
  Case out = c;
  std::vector<std::size_t> operands;
  for (std::size_t k = 0; k < c.extents.size(); ++k)
    if (!c.extents[k].empty()) operands.push_back(k);
  if (operands.empty()) return out;
  const std::size_t k = operands[static_cast<std::size_t>(rng.below(static_cast<int>(operands.size())))];
  auto& e = out.extents[k][static_cast<std::size_t>(rng.below(static_cast<int>(c.extents[k].size())))];
  const index_t old = e;
  while (e == old) e = rng.below(5);
  out.values[k].resize(static_cast<std::size_t>(Array<double>::count(out.extents[k])));
  for (double& x : out.values[k]) x = rng.uniform(-1.0, 1.0);
  return out;
}

/// A permutation of rank 2 or 3 with extents from 1 to 33, some a cache line's worth
/// of elements or a fraction of one: the loop nest's squares and line groups
/// (lower/transpose_block.hpp), which the small random cases never reach.
/// `signature` is set to the table's {1, {r}, r} entry.
Case random_permutation(Rng& rng, std::size_t& signature) {
  const int rank = 2 + rng.below(2);
  signature = rank == 2 ? 5 : 8;
  static constexpr index_t sizes[] = {1, 2, 3, 4, 8, 16, 16, 17, 24, 33};
  Case c;
  std::vector<index_t> extents;
  std::string in, out;
  for (int d = 0; d < rank; ++d) {
    in += static_cast<char>('a' + d);
    extents.push_back(sizes[rng.below(10)]);
  }
  do {
    out = in;
    for (std::size_t i = out.size(); i > 1; --i)
      std::swap(out[i - 1], out[static_cast<std::size_t>(rng.below(static_cast<int>(i)))]);
  } while (out == in);
  if (rng.chance(0.3)) {  // the output's row a fraction of a line, the others a line or more: line groups
    for (int d = 0; d < rank; ++d) extents[static_cast<std::size_t>(d)] = sizes[6 + rng.below(4)];
    extents[static_cast<std::size_t>(out.back() - 'a')] = 2 + 2 * rng.below(2);
  }
  c.spec = in + "->" + out;
  c.extents.push_back(extents);
  for (index_t e : extents) c.loop_size *= e;
  std::vector<double> v(static_cast<std::size_t>(c.loop_size));
  for (double& x : v) x = rng.uniform(-1.0, 1.0);
  c.values.push_back(std::move(v));
  return c;
}

/// A matrix product large enough for the blocked GEMM kernels (Eigen's, and BLAS's
/// where the build has one, past blas_gemm_limit), which the random specs, a few
/// thousand elements an operand, seldom reach: "mk,kn->mn" with each term's labels
/// in a random order (so any of the transposes), or the same with a batch label b
/// in a random place of each term (a batched GEMM, or a loop of them where b does
/// not fold). Extents 17-80 (past thin_gemm_extent; a batch of 2-3); check_case lays each operand out at
/// random (padded, reversed, permuted: the strides the GEMM takes or copies).
Case random_large_product(Rng& rng, std::size_t& signature) {
  const bool batched = rng.chance(0.3);
  signature = batched ? 24 : 20;  // {2, {3, 3}, 3} and {2, {2, 2}, 2}
  const auto shuffled = [&](std::string t) {
    for (std::size_t i = t.size(); i > 1; --i)
      std::swap(t[i - 1], t[static_cast<std::size_t>(rng.below(static_cast<int>(i)))]);
    return t;
  };
  const std::string b = batched ? "b" : "";
  const std::string ta = shuffled(b + "mk"), tb = shuffled(b + "kn"), tc = shuffled(b + "mn");
  std::map<char, index_t> extent{{'b', 2 + rng.below(2)}, {'m', 17 + rng.below(64)}, {'n', 17 + rng.below(64)},
                                 {'k', 17 + rng.below(64)}};
  Case c;
  c.spec = ta + "," + tb + "->" + tc;
  for (const std::string& term : {ta, tb}) {
    std::vector<index_t> e;
    index_t size = 1;
    for (char l : term) e.push_back(extent[l]), size *= extent[l];
    std::vector<double> v(static_cast<std::size_t>(size));
    for (double& x : v) x = rng.uniform(-1.0, 1.0);
    c.extents.push_back(e);
    c.values.push_back(std::move(v));
  }
  for (const auto& [label, e] : extent)
    if (batched || label != 'b') c.loop_size *= e;
  return c;
}

/// A product or reduction whose operands disagree on the unit-stride axis
/// ("ij,ji->", "ij,ji->ij", "ij,ji->ji", "ij,ij->ji", "ij,ji,ij->ij": crossed
/// inputs or output, crossed_squares.hpp; "ij,ji,ij,ij->ij": four, whose strided
/// one the loop nest packs per tile, packed_tile_input), its extents past a loop
/// tile (33-80); the random layouts (check_case) may turn either operand around.
Case random_transposed_product(Rng& rng, std::size_t& signature) {
  static const char* const specs[] = {"ij,ji->",   "ij,ji->ij",    "ij,ji->ji",
                                      "ij,ij->ji", "ij,ji,ij->ij", "ij,ji,ij,ij->ij"};
  const int which = rng.below(6);
  // {2, {2, 2}, 0}, {2, {2, 2}, 2}, {3, {2, 2, 2}, 2}, {4, {2, 2, 2, 2}, 2}
  signature = which == 0 ? 19 : which <= 3 ? 20 : which == 4 ? 31 : 37;
  const index_t ni = 33 + rng.below(48), nj = 33 + rng.below(48);
  Case c;
  c.spec = specs[which];
  c.extents = {{ni, nj}, which == 3 ? std::vector<index_t>{ni, nj} : std::vector<index_t>{nj, ni}};
  for (int k = 4; k <= which; ++k) c.extents.push_back({ni, nj});
  for (std::size_t k = 0; k < c.extents.size(); ++k) {
    std::vector<double> v(static_cast<std::size_t>(ni * nj));
    for (double& x : v) x = rng.uniform(-1.0, 1.0);
    c.values.push_back(std::move(v));
  }
  c.loop_size = ni * nj;
  return c;
}

}  // namespace

TEST_CASE_TEMPLATE("differential: ein::einsum(spec, ...) agrees with the oracle on random cases", T, float, double) {
  const std::uint64_t seed = env_or("EIN_DIFF_SEED", 20240611);
  const int cases = static_cast<int>(env_or("EIN_DIFF_CASES", 2500));
  Rng master{seed};
  Tally tally;
  ein::detail::product_path_probe.taken = 0;
  for (int i = 0; i < cases; ++i) {
    const std::size_t signature = static_cast<std::size_t>(i) % signatures.size();
    Rng rng{master.next()};
    // One case in 40 is larger, so that GEMM kernels run past their smallest blocks.
    const bool large = i % 40 == 39;
    const Case c = ein_test::random_case(signatures[signature], rng, large ? 200000 : 4096, large ? 40 : 4);
    // Every other case with the product path (lower/static_product.hpp) off: the
    // small ones it takes then reach the general path's lowerings too.
    ein::detail::product_path_probe.off = i % 2 == 1;
    check_case<T>(signature, c, Outcome::ok, rng, tally);
    if (i % 4 == 0) {  // a malformed spec: ein must throw ein::spec_error
      Case bad = c;
      bad.spec = malform(c, rng);
      bool rejected = false;
      try {
        ein::reference::einsum(bad.spec, ein_test::arrays<double>(bad));
      } catch (const std::invalid_argument&) {
        rejected = true;
      }
      if (!rejected) FAIL_CHECK("malform() made a valid spec: " << ein_test::describe(bad));
      check_case<T>(signature, bad, Outcome::spec_error, rng, tally);
    }
    if (i % 4 == 2)  // one extent changed: the oracle rejects it (ein::shape_error) or computes it
      check_case<T>(signature, reshape(c, rng), Outcome::shape_error, rng, tally);
    if (i % 50 == 17) {  // a product for the blocked GEMM kernels, and one of crossed inputs
      std::size_t pair = 0;
      const Case g = random_large_product(rng, pair);
      check_case<T>(pair, g, Outcome::ok, rng, tally);
      const Case t = random_transposed_product(rng, pair);
      check_case<T>(pair, t, Outcome::ok, rng, tally);
    }
    if (i % 8 == 5) {  // a permutation large enough for the nest's squares
      std::size_t unary = 0;
      const Case p = random_permutation(rng, unary);
      check_case<T>(unary, p, Outcome::ok, rng, tally);
    }
  }
  ein::detail::product_path_probe.off = false;
  std::string known;
  for (const auto& [kind, count] : tally.known) known += ", " + std::to_string(count) + " of them: " + kind;
  std::printf("differential<%s>: seed %llu (EIN_DIFF_SEED), %d random specs: %d results agree (worst error %.3g of "
              "the tolerance), %d spec errors and %d shape errors agree, %d mismatches%s\n",
              sizeof(T) == 4 ? "float" : "double", static_cast<unsigned long long>(seed), cases, tally.valid,
              tally.worst, tally.spec_errors, tally.shape_errors, tally.failures, known.c_str());
  CHECK(tally.failures == 0);
  // Every lowering the planner can choose was reached (and agreed) at least once.
  std::string reached;
  for (const auto& [kind, count] : tally.lowerings) reached += " " + kind + ": " + std::to_string(count) + ";";
  std::printf("differential<%s>: steps by lowering:%s\n", sizeof(T) == 4 ? "float" : "double", reached.c_str());
  for (ein::StepKind k : {ein::StepKind::gemm, ein::StepKind::batched_gemm, ein::StepKind::loop, ein::StepKind::single,
                          ein::StepKind::fused})
    CHECK_MESSAGE(tally.lowerings[ein::to_string(k)] > 0, "no random case was lowered to " << ein::to_string(k));
  // The product path took some calls (einsum_path shows the general path's plan for them).
  std::printf("differential<%s>: calls taken by the product path: %llu\n", sizeof(T) == 4 ? "float" : "double",
              static_cast<unsigned long long>(ein::detail::product_path_probe.taken));
  CHECK(ein::detail::product_path_probe.taken > 0);
  // And the loop nests' kernels (lower/loop_nest.hpp's NestKernel).
  std::string nests;
  for (const auto& [kernel, count] : tally.nests) nests += " " + kernel + ": " + std::to_string(count) + ";";
  std::printf("differential<%s>: loop steps by nest kernel:%s\n", sizeof(T) == 4 ? "float" : "double", nests.c_str());
  using ein::detail::NestKernel;
  for (NestKernel k : {NestKernel::element, NestKernel::row_dots, NestKernel::row_axpys, NestKernel::unit_rows,
                       NestKernel::rows, NestKernel::packed_rows, NestKernel::crossed_squares, NestKernel::squares,
                       NestKernel::grouped_squares})
    CHECK_MESSAGE(tally.nests[ein::detail::nest_kernel_name(k)] > 0,
                  "no random case ran the nest kernel " << std::string(ein::detail::nest_kernel_name(k)));
  // And calls of several steps, repeated at other addresses, replayed their programs.
  std::printf("differential<%s>: repeats that replayed a recorded program: %d\n", sizeof(T) == 4 ? "float" : "double",
              tally.replayed);
  CHECK(tally.replayed > 0);
  // And the GEMM steps' kernels.
  std::string gemms;
  for (const auto& [kernel, count] : tally.gemms) gemms += " " + kernel + ": " + std::to_string(count) + ";";
  std::printf("differential<%s>: GEMM steps by kernel:%s\n", sizeof(T) == 4 ? "float" : "double", gemms.c_str());
  using ein::GemmKernel;
  for (GemmKernel k : {GemmKernel::direct, GemmKernel::eigen, GemmKernel::blas}) {
    const bool in_build = k == GemmKernel::direct || (k == GemmKernel::eigen && ein::detail::have_eigen_gemm) ||
                          (k == GemmKernel::blas && ein::detail::have_blas);
    if (in_build) CHECK_MESSAGE(tally.gemms[ein::to_string(k)] > 0, "no random GEMM step ran " << ein::to_string(k));
  }
}
