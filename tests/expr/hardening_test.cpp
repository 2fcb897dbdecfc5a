// Regression tests for issue 9 (hardening) on the einsum side: overflowing
// extents, owned rvalue operands, checked element access, escaped error texts,
// and the empty spec of one scalar. Each case failed (crash, sanitizer report or
// wrong answer) before its fix.
#include <Eigen/Core>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine_support.hpp"

using ein::Extents;
using ein::Tensor;
using ein::TensorView;
using ein::index_t;
using ein::test::message_of;

namespace {
constexpr index_t two_32 = index_t{1} << 32;
}  // namespace

// ---- item 1: element and byte counts never wrap ----

TEST_CASE("a tensor whose element count overflows throws shape_error naming its extents") {
  CHECK_THROWS_AS((Tensor<float, 2>(index_t{1} << 40, index_t{1} << 40)), ein::shape_error);
  CHECK_THROWS_AS((Tensor<float, 2>(two_32 + 1, two_32 - 1)), ein::shape_error);
  const std::string what = message_of([] { Tensor<float, 2> t(two_32 + 1, two_32 - 1); });
  CHECK(what.find("(4294967297, 4294967295)") != std::string::npos);
  // The element count fits, the byte count does not.
  CHECK_THROWS_AS((Tensor<double, 1>(index_t{1} << 61)), ein::shape_error);
  CHECK_THROWS_AS((Tensor<float, 3>(Extents<3>{two_32, two_32, 2})), ein::shape_error);
  // An empty shape has no elements however large its other extents.
  const Tensor<float, 3> empty(Extents<3>{0, index_t{1} << 40, index_t{1} << 40});
  CHECK(empty.size() == 0);
  // Its strides (a tensor's own, computed without overflow checks where the count
  // fits) are row_major_strides', the overflowing one 0; its view spans no byte.
  CHECK(empty.strides() == ein::row_major_strides(empty.extents()));
  CHECK(empty.strides() == std::array<index_t, 3>{0, index_t{1} << 40, 1});
  CHECK(empty.view().strides() == empty.strides());
  CHECK(empty.view().span_bytes().first == empty.view().span_bytes().second);
  const Tensor<float, 3> full(Extents<3>{2, 3, 4});
  CHECK(full.strides() == std::array<index_t, 3>{12, 4, 1});
  CHECK(full.view().strides() == full.strides());
  CHECK(ein::element_count(Extents<2>{0, index_t{1} << 62}) == 0);
  CHECK_THROWS_AS(ein::element_count(Extents<2>{two_32, two_32}), ein::shape_error);
}

TEST_CASE("einsum on huge broadcast views throws instead of writing past its result") {
  float one = 1.0f;
  const TensorView<const float, 2> huge(&one, Extents<2>{two_32, two_32}, {0, 0});  // a legal view
  CHECK_THROWS_AS((void)huge.size(), ein::shape_error);
  CHECK_THROWS_AS((Tensor<float, 2>(ein::einsum<"ij->ji">(huge))), ein::shape_error);
  CHECK_THROWS_AS((void)(Tensor<float, 2>(ein::einsum("ij->ji", huge))), ein::shape_error);

  const TensorView<const float, 1> v(&one, Extents<1>{two_32}, {0});
  CHECK_THROWS_AS((Tensor<float, 2>(ein::einsum<"i,j->ij">(v, v))), ein::shape_error);
  // A sum over 2^64 broadcast elements: its iteration space does not fit an index.
  Tensor<float, 0> s;
  const std::string what = message_of([&] { s = ein::einsum<"ij->">(huge); });
  INFO(what);
  CHECK(what.find("einsum \"ij->\"") != std::string::npos);
  CHECK(what.find("64-bit") != std::string::npos);
  CHECK_THROWS_AS((s = ein::einsum<"i,j->">(v, v)), ein::shape_error);
  // A GEMM-shaped step over a huge broadcast operand: the fast path declines, the general path throws.
  const TensorView<const float, 3> wide(&one, Extents<3>{two_32, two_32, 1}, {0, 0, 0});
  Tensor<float, 2> k(1, 1);
  CHECK_THROWS_AS((Tensor<float, 3>(ein::einsum<"abj,jk->abk">(wide, k))), ein::shape_error);
}

TEST_CASE("a view whose reach overflows a 64-bit offset is rejected") {
  float x = 0;
  CHECK_THROWS_AS((TensorView<float, 2>(&x, Extents<2>{two_32, 2}, {index_t{1} << 62, 1})), ein::shape_error);
  CHECK_THROWS_AS((TensorView<float, 1>(&x, Extents<1>{3}, {std::numeric_limits<index_t>::min()})), ein::shape_error);
  CHECK_NOTHROW((TensorView<float, 2>(&x, Extents<2>{two_32, two_32}, {0, 0})));
  CHECK_NOTHROW((TensorView<float, 1>(&x, Extents<1>{1}, {std::numeric_limits<index_t>::max()})));
}

TEST_CASE_TEMPLATE("negative strides on a multi-axis group give the right answer on the two-operand fast path", T,
                   float, double) {
  // "abj,jk->abk": a and b collapse into one GEMM row group only if their strides chain.
  const auto base = ein::test::random_tensor<T>(Extents<3>{3, 4, 5}, 7);
  const TensorView<const T, 3> flipped(base.data() + base.size() - 1, Extents<3>{3, 4, 5}, {-20, -5, -1});
  const auto k = ein::test::random_tensor<T>(Extents<2>{5, 6}, 8);
  const Tensor<T, 3> got = ein::einsum<"abj,jk->abk">(flipped, k);
  ein::test::check_against_reference<T>("abj,jk->abk", got, flipped, k);
}

// ---- item 3: rvalue operands of every kind are owned by a stored expression ----

TEST_CASE("a stored lazy einsum owns an rvalue Eigen operand") {
  Eigen::MatrixXf m = Eigen::MatrixXf::Constant(8, 8, 1.0f);
  auto e = ein::einsum<"ij->i">(Eigen::MatrixXf(m * 2.0f));
  auto r = ein::einsum("ij->i", Eigen::MatrixXf(m * 3.0f));
  Eigen::MatrixXf scribble = Eigen::MatrixXf::Constant(8, 8, -7.0f);  // reuses freed memory, if any
  const Tensor<float, 1> t = e;
  const Tensor<float, 1> u = r;
  for (index_t i = 0; i < 8; ++i) {
    CHECK(t(i) == 16.0f);
    CHECK(u(i) == 24.0f);
  }
  CHECK(scribble(0, 0) == -7.0f);
}

TEST_CASE("a stored lazy einsum owns rvalue fixed-size Eigen matrices, Refs and Eigen tensors; rvalue maps still borrow") {
  auto fixed = ein::einsum<"ij,jk->ik">(Eigen::Matrix2d(Eigen::Matrix2d::Identity()), Eigen::Matrix2d::Constant(3.0).eval());
  auto moved = std::move(fixed);  // a fixed-size matrix moves its elements: the view is taken anew
  const Tensor<double, 2> a = moved;
  CHECK(a(0, 0) == 3.0);
  CHECK(a(1, 1) == 3.0);

  Eigen::MatrixXd source = Eigen::MatrixXd::Constant(3, 2, 2.0);
  auto from_ref = ein::einsum<"ij->j">(Eigen::Ref<const Eigen::MatrixXd>(source * 2.0));  // the Ref holds a temporary
  const Tensor<double, 1> b = from_ref;
  CHECK(b(0) == 12.0);

  Eigen::MatrixXd target = Eigen::MatrixXd::Constant(2, 2, 5.0);
  auto borrowed = ein::einsum<"ij->ji">(Eigen::Map<Eigen::MatrixXd>(target.data(), 2, 2));
  target(1, 0) = 9.0;  // a map refers to its memory: the change shows
  const Tensor<double, 2> c = borrowed;
  CHECK(c(0, 1) == 9.0);
}

// ---- item 7: checked element access ----

TEST_CASE("at() throws std::out_of_range outside the extents; operator() too where checks are on") {
  Tensor<float, 2> a(3, 4);
  CHECK_THROWS_AS(a.at(3, 0), std::out_of_range);
  CHECK_THROWS_AS(a.at(0, -1), std::out_of_range);
  CHECK_NOTHROW(a.at(2, 3) = 1.0f);
  CHECK(a(2, 3) == 1.0f);
  Tensor<float, 2> empty;
  CHECK_THROWS_AS(empty.at(0, 0), std::out_of_range);
  const std::string what = message_of([&] { a.at(3, 0); });
  CHECK(what == "ein::Tensor: index (3, 0) is out of range for extents (3, 4)");
  CHECK_THROWS_AS(a.view().at(0, 4), std::out_of_range);
  const Tensor<float, 2>& ca = a;
  CHECK_THROWS_AS(ca.at(-1, 0), std::out_of_range);
  if constexpr (ein::detail::index_checks) {
    CHECK_THROWS_AS(a(3, 0), std::out_of_range);
    CHECK_THROWS_AS(empty(0, 0), std::out_of_range);
    CHECK_THROWS_AS(a.view()(0, 4), std::out_of_range);
  }
#ifdef NDEBUG
  CHECK(ein::detail::index_checks == (EIN_CHECKS != 0));
#else
  CHECK(ein::detail::index_checks);
#endif
}

// ---- item 9: error texts are escaped and capped ----

TEST_CASE("a run-time spec's error text escapes non-printable bytes and caps a long spec") {
  Tensor<float, 2> a(2, 2);
  const std::string nul = message_of([&] { (void)ein::einsum(std::string_view("ij\0->i", 6), a); });
  CHECK(nul == "einsum \"ij\\x00->i\": '\\x00' (position 2) is not a label (labels are the letters a-z and A-Z)");
  CHECK(nul.find('\0') == std::string::npos);

  const std::string utf = message_of([&] { (void)ein::einsum("ij->\xc3", a); });
  for (char c : utf) CHECK(static_cast<unsigned char>(c) < 0x80);
  CHECK(utf.find("\\xc3") != std::string::npos);

  std::string big(2'000'000, ' ');  // spaces are skipped: the error is the '!' far in
  big[0] = 'i';
  big[1'500'000] = '!';
  const std::string cut = message_of([&] { (void)ein::einsum(big, a); });
  CHECK(cut.size() < 400);
  CHECK(cut.find("'!' (position 1500000)") != std::string::npos);
  CHECK(cut.find("...") != std::string::npos);
  CHECK(cut.find("!") < cut.find("(2000000 bytes, cut)") + 100000);
  // The cut keeps the bad character inside the quoted window.
  const auto quote_end = cut.find("\": ");
  CHECK(cut.substr(0, quote_end).find('!') != std::string::npos);

  // Shape errors quote the spec the same way.
  const std::string shape = message_of([&] {
    Tensor<float, 1> b(3);
    (void)Tensor<float, 1>(ein::einsum("ij,j->i", a, b));
  });
  CHECK(shape.rfind("einsum \"ij,j->i\": label 'j' is 2 in operand 0 and 3 in operand 1", 0) == 0);
}

// ---- item 14: "" of one scalar is the identity ----

TEST_CASE_TEMPLATE("the empty spec of one rank-0 operand is the identity, at compile time and at run time", T, float,
                   double) {
  Tensor<T, 0> s;
  s() = T(2.5);
  const Tensor<T, 0> a = ein::einsum<"">(s);
  const Tensor<T, 0> b = ein::einsum("", s);
  const Tensor<T, 0> c = ein::einsum("  ", s);
  CHECK(a() == T(2.5));
  CHECK(b() == T(2.5));
  CHECK(c() == T(2.5));
  Tensor<T, 1> v(3);
  CHECK_THROWS_AS((void)ein::einsum("", v), ein::spec_error);
  CHECK_THROWS_AS((void)ein::einsum("", s, s), ein::spec_error);
  CHECK(message_of([&] { (void)ein::einsum("", v); }) == "einsum \"\": the spec is empty");
}

// ---- items 1 and 3, continued ----

TEST_CASE("a const temporary tensor is owned by a stored einsum and by a stored element-wise expression") {
  const auto make = [] { return static_cast<const Tensor<double, 1>>(Tensor<double, 1>({3}, {1, 2, 3})); };
  auto summed = ein::einsum<"i->">(make());
  auto doubled = make() + make();
  std::vector<double> scribble(64, -9.0);  // reuses freed memory, if any
  const Tensor<double, 0> s = summed;
  const Tensor<double, 1> d = doubled;
  CHECK(s() == 6.0);
  CHECK(d(2) == 6.0);
  CHECK(scribble[0] == -9.0);
}

#ifdef EIN_USE_CBLAS
TEST_CASE("a GEMM whose sizes do not fit CBLAS's int is declined (it goes to Eigen, which takes 64-bit sizes)") {
  const ein::index_t big = ein::index_t{1} << 31;
  const ein::detail::MatrixLayout a{big, 1, 1, 1}, b{1, 1, 1, 1}, c{big, 1, 1, 1};
  // Declined before any element is read: the null pointers are never touched.
  CHECK_FALSE(ein::detail::blas_gemm<float>(1.0f, nullptr, a, nullptr, b, 0.0f, nullptr, c));
  const ein::detail::MatrixLayout wide{2, 2, big, 1};
  CHECK_FALSE(ein::detail::blas_gemm<float>(1.0f, nullptr, wide, nullptr, b, 0.0f, nullptr, {2, 1, 1, 1}));
}
#endif
