// A test device for the training stack (autodiff/, nn/, optim/), which is written
// once against a device's table of primitives (backend/host_device.hpp): the
// counting device holds its values in a tensor type of its own (a host tensor
// underneath) and its table counts each call and hands it to the host's. Tests run
// on it to show that the stack works for any device and goes through the table.
// (device_under_test.hpp picks the device a test file runs on.)
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/autodiff.hpp"

namespace ein::test {
/// The counting device, whose einsums run on the Backend Lowering hands out:
/// HostLowering's (the host's) or EmulatedLowering's (the CUDA device lowering on
/// the CPU, tests/support/emulated_cuda_device.hpp).
template <class Lowering>
struct CountingDevice;
struct HostLowering;
using Counting = CountingDevice<HostLowering>;
}  // namespace ein::test

namespace ein {
/// A tensor of a counting device, ein::Tensor<T, R, test::CountingDevice<L>>: a host
/// tensor underneath, a type of its own.
template <class T, std::size_t R, class L>
class Tensor<T, R, test::CountingDevice<L>> : public Tensor<T, R> {
  using device = test::CountingDevice<L>;

 public:
  using Tensor<T, R>::Tensor;
  Tensor() = default;
  explicit Tensor(Tensor<T, R>&& t) : Tensor<T, R>(std::move(t)) {}
  /// A lazy einsum of the device's tensors, as a CUDA tensor takes one: in place
  /// where the extents match, else into new memory.
  template <class E>
    requires(std::is_same_v<typename E::device_type, device> && E::rank == R)
  Tensor& operator=(const E& e) {
    if (this->extents() == e.extents()) e.evaluate_into(*this, T(1), T(0));
    else *this = e.eval();
    return *this;
  }
  template <class E>
    requires(std::is_same_v<typename E::device_type, device> && DeviceExpressionOfRank<E, R>)
  Tensor& operator+=(const E& e) {
    e.evaluate_into(*this, T(1), T(1));
    return *this;
  }
};
}  // namespace ein

namespace ein::test {

template <class T, std::size_t R>
using CountedTensor = ein::Tensor<T, R, Counting>;

/// Calls of each primitive of the counting device's table, by name.
inline std::map<std::string, int> calls;

/// The host's lowering.
struct HostLowering {
  template <class T, class F, class... On>
  static void lowered(std::string_view text, F&& f, const On&... on) {
    ein::Host::lowered<T>(text, std::forward<F>(f), on...);
  }
};

/// The host's table under another name, counting each call.
template <class Lowering>
struct CountingDevice {
  template <class T, std::size_t R>
  using Own = ein::Tensor<T, R, CountingDevice>;
  using labels = ein::Host::labels;
  using Host = ein::Host;

  template <class T, std::size_t R>
  static Own<T, R> from_host(const ein::Tensor<T, R>& host) {
    ++calls["from_host"];
    return Own<T, R>(Host::from_host(host));
  }
  template <class T, std::size_t R>
  static ein::Tensor<T, R> to_host(const ein::Tensor<T, R>& t) {
    ++calls["to_host"];
    return Host::to_host(t);
  }
  template <class T, std::size_t R>
  static Own<T, R> zeros_like(const ein::Tensor<T, R>& v) {
    ++calls["zeros_like"];
    return Own<T, R>(Host::zeros_like(v));
  }
  template <class T, std::size_t R>
  static void add_into(ein::Tensor<T, R>& dst, const ein::Tensor<T, R>& src) {
    ++calls["add_into"];
    Host::add_into(dst, src);
  }
  template <class T, std::size_t R>
  static void add_scalar(ein::Tensor<T, R>& dst, T value) {
    ++calls["add_scalar"];
    Host::add_scalar(dst, value);
  }
  template <class F, class T, std::size_t R>
  static Own<T, R> map(const F& f, const ein::Tensor<T, R>& x) {
    ++calls["map"];
    return Own<T, R>(Host::map(f, x));
  }
  template <class F, class T, std::size_t R>
  static void map_backward(const F& f, const ein::Tensor<T, R>& g, const ein::Tensor<T, R>& x, const ein::Tensor<T, R>& z,
                           ein::Tensor<T, R>& gx) {
    ++calls["map_backward"];
    Host::map_backward(f, g, x, z, gx);
  }
  template <class F, class T, std::size_t RA, std::size_t RB, std::size_t R>
  static Own<T, R> zip(const F& f, const ein::detail::Lineup& l, const ein::Tensor<T, RA>& x,
                                 const ein::Tensor<T, RB>& y, const ein::Extents<R>& extents) {
    ++calls["zip"];
    return Own<T, R>(Host::zip(f, l, x, y, extents));
  }
  template <class F, class T, std::size_t RA, std::size_t RB, std::size_t R>
  static void zip_backward(const F& f, const ein::detail::Lineup& l, const ein::Tensor<T, R>& g, const ein::Tensor<T, RA>& x,
                           const ein::Tensor<T, RB>& y, const ein::Tensor<T, R>& z, Own<T, RA>* gx,
                           Own<T, RB>* gy) {
    ++calls["zip_backward"];
    Host::template zip_backward<F, T, RA, RB, R>(f, l, g, x, y, z, gx, gy);
  }
  template <class T, std::size_t R>
  static Own<T, 0> scaled_sum(const ein::Tensor<T, R>& x, T scale) {
    ++calls["scaled_sum"];
    return Own<T, 0>(Host::scaled_sum(x, scale));
  }
  template <class T, std::size_t R>
  static void scaled_sum_backward(const ein::Tensor<T, 0>& g, T scale, ein::Tensor<T, R>& gx) {
    ++calls["scaled_sum_backward"];
    Host::scaled_sum_backward(g, scale, gx);
  }
  template <class T, std::size_t R>
  static Own<T, R> softmax(bool log, const ein::detail::AxisSplit& s, const ein::Tensor<T, R>& x) {
    ++calls["softmax"];
    return Own<T, R>(Host::softmax(log, s, x));
  }
  template <class T, std::size_t R>
  static void softmax_backward(bool log, const ein::detail::AxisSplit& s, const ein::Tensor<T, R>& g,
                               const ein::Tensor<T, R>& y, ein::Tensor<T, R>& gx) {
    ++calls["softmax_backward"];
    Host::softmax_backward(log, s, g, y, gx);
  }
  template <class T>
  static labels labels_from_host(labels classes, const ein::Tensor<T, 2>& like) {
    ++calls["labels_from_host"];
    return Host::labels_from_host(std::move(classes), like);
  }
  template <class T>
  static Own<T, 0> cross_entropy(const ein::Tensor<T, 2>& x, const labels& classes, Own<T, 1>& lse) {
    ++calls["cross_entropy"];
    return Own<T, 0>(Host::cross_entropy(x, classes, lse));
  }
  template <class T>
  static void cross_entropy_backward(const ein::Tensor<T, 2>& x, const labels& classes, const ein::Tensor<T, 1>& lse,
                                     const ein::Tensor<T, 0>& g, ein::Tensor<T, 2>& gx) {
    ++calls["cross_entropy_backward"];
    Host::cross_entropy_backward(x, classes, lse, g, gx);
  }
  using rows = Host::rows;
  static void copy_rows(std::span<const index_t> from, rows& to) {
    ++calls["copy_rows"];
    Host::copy_rows(from, to);
  }
  template <class T>
  static std::pair<Own<T, 2>, labels> gather_rows(const ein::Tensor<T, 2>& source, const labels& y,
                                                            const rows& order, index_t first, index_t n) {
    ++calls["gather_rows"];
    auto [x, labels_x] = Host::gather_rows(source, y, order, first, n);
    return {Own<T, 2>(std::move(x)), std::move(labels_x)};
  }
  using score_sums = Host::score_sums;
  template <class T>
  static void add_score(const ein::Tensor<T, 2>& logits, const labels& y, const ein::Tensor<T, 0>& loss,
                        score_sums& sums) {
    ++calls["add_score"];
    Host::add_score(logits, y, loss, sums);
  }
  static std::pair<double, index_t> read_score(const score_sums& sums) {
    ++calls["read_score"];
    return Host::read_score(sums);
  }
  template <class T, std::size_t R, std::size_t RL>
  static Own<T, R> allocate(const ein::Extents<R>& extents, const ein::Tensor<T, RL>& like, bool zero) {
    ++calls["allocate"];
    return Own<T, R>(Host::template allocate<T>(extents, like, zero));
  }
  template <class T, class F, class... On>
  static void lowered(std::string_view text, F&& f, const On&... on) {
    ++calls["lowered"];
    Lowering::template lowered<T>(text, std::forward<F>(f), on...);
  }
};

/// A Var of the counting device.
template <class T, std::size_t R>
using CountingVar = ein::Var<T, R, Counting>;

}  // namespace ein::test

/// The optimizers reach a counting device's parameters as host memory.
template <class T, std::size_t R, class L>
struct ein::optim::ParameterTraits<ein::Var<T, R, ein::test::CountingDevice<L>>> {
  using element_type = T;
  static Access<T> access(ein::detail::Node& n) {
    auto& node = static_cast<ein::detail::NodeOf<T, R, ein::test::CountingDevice<L>>&>(n);
    return {node.mutable_value().data(), node.has_grad() ? node.grad().data() : nullptr, node.value().size(),
            &ein::detail::host_update_device<T>, nullptr};
  }
};
