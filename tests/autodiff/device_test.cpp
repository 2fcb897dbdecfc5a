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
