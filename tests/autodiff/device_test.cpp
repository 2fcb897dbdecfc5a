// The training stack is written once against a device's table (backend/host_device.hpp):
// the counting device (tests/support/counting_device.hpp) runs a small model's
// forward, backward and optimizer step. Its values and gradients equal the host's bit for bit, and every
// op went through its table (an op that reached for host loops instead would
// compute the same numbers on these tensors, so the counts are what fails then).
#include <span>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include "counting_device.hpp"
#include "emulated_cuda_device.hpp"
#include "ein/autodiff.hpp"

using ein::index_t;
using ein::Tensor;
using ein::test::calls;
using ein::test::CountedTensor;
using ein::test::CountingVar;

namespace {

template <class T, std::size_t R>
Tensor<T, R> filled(const ein::Extents<R>& extents, double scale, double shift) {
  Tensor<T, R> t(extents);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = static_cast<T>(scale * double((k * 7) % 11) - shift);
  return t;
}

template <class T, std::size_t R>
bool same_bits(const Tensor<T, R>& a, const Tensor<T, R>& b) {
  if (a.extents() != b.extents()) return false;
  for (index_t k = 0; k < a.size(); ++k)
    if (a.data()[k] != b.data()[k]) return false;
  return true;
}

/// A small model written once, for Vars of any device: every kind of op the
/// table serves (element-wise of one and two Vars with a broadcast bias and a
/// scalar, sums, softmax, both losses).
template <class X, class W, class B>
auto model_loss(const X& x, const W& w, const B& b, std::span<const int> labels) {
  const auto h = ein::gelu(x * w + b) - 0.5 * ein::exp(ein::leaky_relu(w, 0.1));
  const auto p = ein::softmax(h, 1);
  return ein::cross_entropy(h, labels) + ein::mse_loss(ein::log_softmax(h, 0), p) + ein::mean(ein::tanh(h)) +
         ein::sum(p / b);
}

}  // namespace

TEST_CASE_TEMPLATE("a model written once runs on another device's table, equal to the host's bit for bit", T, float,
                   double) {
  const ein::Extents<2> e{4, 3};
  const std::vector<int> labels{2, 0, 1, 1};
  const auto host_x = ein::constant(filled<T, 2>(e, 0.2, 1.0));
  const auto host_w = ein::param(filled<T, 2>(e, -0.3, -0.7));
  const auto host_b = ein::param(filled<T, 1>(ein::Extents<1>{3}, 0.5, -1.25));
  const auto dev_x = ein::constant(CountedTensor<T, 2>(filled<T, 2>(e, 0.2, 1.0)));
  const auto dev_w = ein::param(CountedTensor<T, 2>(filled<T, 2>(e, -0.3, -0.7)));
  const auto dev_b = ein::param(CountedTensor<T, 1>(filled<T, 1>(ein::Extents<1>{3}, 0.5, -1.25)));
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(dev_w)>, CountingVar<T, 2>>);

  ein::optim::Adam host_opt({host_w, host_b}, {.lr = 0.05});
  ein::optim::Adam dev_opt({dev_w, dev_b}, {.lr = 0.05});
  for (int step = 0; step < 3; ++step) {
    calls.clear();
    const auto host_loss = model_loss(host_x, host_w, host_b, labels);
    const auto dev_loss = model_loss(dev_x, dev_w, dev_b, labels);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(dev_loss)>, CountingVar<T, 0>>);
    // forward: every op one primitive call of the device's own table
    CHECK(calls["map"] == 5);  // gelu, exp, leaky_relu, tanh, 0.5 *
    CHECK(calls["zip"] == 9);  // x * w, + b, -, /, mse_loss's - and *, and the three +
    CHECK(calls["softmax"] == 2);
    CHECK(calls["scaled_sum"] == 3);
    CHECK(calls["cross_entropy"] == 1);
    CHECK(calls["labels_from_host"] == 1);
    CHECK(same_bits<T, 0>(dev_loss.value(), host_loss.value()));

    host_opt.zero_grad();
    dev_opt.zero_grad();
    host_loss.backward();
    dev_loss.backward();
    CHECK(calls["add_scalar"] == 1);
    CHECK(calls["map_backward"] == 5);
    CHECK(calls["zip_backward"] == 9);
    CHECK(calls["softmax_backward"] == 2);
    CHECK(calls["scaled_sum_backward"] == 3);
    CHECK(calls["cross_entropy_backward"] == 1);
    CHECK(calls["zeros_like"] >= 1);
    CHECK(same_bits<T, 2>(dev_w.grad(), host_w.grad()));
    CHECK(same_bits<T, 1>(dev_b.grad(), host_b.grad()));
    host_opt.step();
    dev_opt.step();
    CHECK(same_bits<T, 2>(dev_w.value(), host_w.value()));
    CHECK(same_bits<T, 1>(dev_b.value(), host_b.value()));
  }
  CHECK(host_w.value()(0, 0) != filled<T, 2>(e, -0.3, -0.7)(0, 0));  // (stepped at all)
}

TEST_CASE("a non-scalar's seeded backward and a retained gradient go through the device's table") {
  const auto x = ein::param(CountedTensor<double, 1>(filled<double, 1>(ein::Extents<1>{5}, 0.5, 1.0)));
  const auto y = ein::sigmoid(x);
  y.retain_grad();
  calls.clear();
  y.backward(CountedTensor<double, 1>(filled<double, 1>(ein::Extents<1>{5}, 1.0, 0.0)), true);
  y.backward(CountedTensor<double, 1>(filled<double, 1>(ein::Extents<1>{5}, 1.0, 0.0)));
  CHECK(calls["add_into"] == 2 + 1);  // each seed, and the retained gradient adding up
  CHECK(calls["map_backward"] == 2);
  const auto host_x = ein::param(filled<double, 1>(ein::Extents<1>{5}, 0.5, 1.0));
  ein::sum(ein::sigmoid(host_x) * ein::constant(filled<double, 1>(ein::Extents<1>{5}, 2.0, 0.0))).backward();
  CHECK(same_bits<double, 1>(x.grad(), host_x.grad()));
}

TEST_CASE("ein::to<D> of a Var copies it to another device, and its gradient comes back") {
  const auto host_x = ein::param(filled<double, 2>(ein::Extents<2>{3, 4}, 0.25, 1.0));
  const auto w = ein::constant(filled<double, 2>(ein::Extents<2>{3, 4}, -0.5, 0.3));
  calls.clear();
  const auto on_device = ein::to<ein::test::Counting>(host_x);  // a Var of the counting device
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(on_device)>, CountingVar<double, 2>>);
  const auto back = ein::to<ein::Host>(ein::tanh(on_device) * 2.0);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(back)>, ein::Var<double, 2>>);
  CHECK(calls["from_host"] == 1);
  CHECK(calls["to_host"] == 1);
  ein::sum(back * w).backward();
  CHECK(calls["from_host"] == 2);  // the gradient, host to device
  CHECK(calls["to_host"] == 2);    // and back, device to host
  const auto reference = ein::param(filled<double, 2>(ein::Extents<2>{3, 4}, 0.25, 1.0));
  ein::sum(ein::tanh(reference) * 2.0 * w).backward();
  CHECK(same_bits<double, 2>(host_x.grad(), reference.grad()));
  CHECK(&ein::to<ein::Host>(host_x).value() == &host_x.value());  // already there: the Var itself
}

TEST_CASE("ein::to<D> of a host tensor: a copy on another device; a temporary moved to the host is moved") {
  ein::Tensor<double, 2> t = filled<double, 2>(ein::Extents<2>{3, 4}, 0.25, 1.0);
  const double* storage = t.data();
  calls.clear();
  const auto on_device = ein::to<ein::test::Counting>(t);
  CHECK(calls["from_host"] == 1);
  CHECK(same_bits<double, 2>(ein::to_host(on_device), t));
  const ein::Tensor<double, 2> copy = ein::to<ein::Host>(t);
  CHECK(copy.data() != storage);
  const ein::Tensor<double, 2> moved = ein::to<ein::Host>(std::move(t));
  CHECK(moved.data() == storage);  // (the MLP's parameters on the host: no copy of each)
  CHECK(same_bits<double, 2>(moved, copy));
}

/// Element type and device of the lazy einsum test: the counting device, and the
/// same with the CUDA device's lowering emulated on the CPU (bounds-checked).
template <class T_, class D_>
struct On {
  using T = T_;
  using D = D_;
};

TEST_CASE_TEMPLATE("ein::einsum on another device's tensors is the host's lazy expression, run by its table", Case,
                   On<float, ein::test::Counting>, On<double, ein::test::Counting>,
                   On<double, ein::test::EmulatedCuda>) {
  using T = typename Case::T;
  using D = typename Case::D;
  using DeviceTensor2 = ein::Tensor<T, 2, D>;
  const auto a = filled<T, 2>(ein::Extents<2>{3, 4}, 0.25, 1.0);
  const auto b = filled<T, 2>(ein::Extents<2>{4, 5}, -0.5, 0.75);
  const Tensor<T, 2> want = ein::einsum<"ij,jk->ik">(a, b);
  const DeviceTensor2 da(Tensor<T, 2>{a}), db(Tensor<T, 2>{b});
  const auto close = [](const Tensor<T, 2>& got, const Tensor<T, 2>& expect) {
    REQUIRE(got.extents() == expect.extents());
    for (index_t k = 0; k < got.size(); ++k) CHECK(got.data()[k] == doctest::Approx(expect.data()[k]).epsilon(1e-6));
  };
  calls.clear();
  const auto product = ein::einsum<"ij,jk->ik">(da, db);
  static_assert(!std::is_same_v<std::remove_cvref_t<decltype(product)>, DeviceTensor2>);
  CHECK(calls.empty());  // nothing ran yet
  CHECK(product.extents() == want.extents());
  DeviceTensor2 c = product;  // one result where the operands live, one lowered run
  CHECK(calls["allocate"] == 1);
  CHECK(calls["lowered"] == 1);
  close(c, want);

  // Into a tensor that has the result's extents: in place, no allocation.
  const T* where = c.data();
  c = T(2) * product;
  c += product;
  CHECK(c.data() == where);
  CHECK(calls["allocate"] == 1);
  close(c, ein::einsum<"ij,jk->ik">(a, b).eval() * T(3));
  product.evaluate_into(c, T(-1), T(1));
  close(c, ein::einsum<"ij,jk->ik">(a, b).eval() * T(2));

  // A temporary operand is moved into the expression: it outlives the line that made it.
  const auto transposed = ein::einsum<"ij->ji">(DeviceTensor2(Tensor<T, 2>{a}));
  const DeviceTensor2 t = transposed;
  close(t, ein::einsum<"ij->ji">(a).eval());

  // The destination read as an operand: through a temporary.
  DeviceTensor2 square(filled<T, 2>(ein::Extents<2>{4, 4}, 0.5, 1.0));
  const Tensor<T, 2> square_want = ein::einsum<"ij,jk->ik">(square, square);
  square = ein::einsum<"ij,jk->ik">(square, square);
  close(square, square_want);

  // A sum over an empty axis is zero, whatever the destination held.
  const DeviceTensor2 e0(ein::Extents<2>{3, 0}), e1(ein::Extents<2>{0, 5});
  DeviceTensor2 zeros = ein::einsum<"ij,jk->ik">(e0, e1);
  close(zeros, Tensor<T, 2>(ein::Extents<2>{3, 5}));
  zeros.fill(T(7));
  zeros = ein::einsum<"ij,jk->ik">(e0, e1);
  close(zeros, Tensor<T, 2>(ein::Extents<2>{3, 5}));

  // Shapes are checked when it runs, with the host's messages.
  DeviceTensor2 wrong(ein::Extents<2>{3, 4});
  CHECK_THROWS_WITH_AS(product.evaluate_into(wrong, T(1), T(0)),
                       doctest::Contains("destination axis 1 is 4, the result's is 5"), ein::shape_error);
  CHECK_THROWS_AS((void)ein::einsum<"ij,jk->ik">(da, da).eval(), ein::shape_error);
}
