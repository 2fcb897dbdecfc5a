// ein::einsum on the tensors of a device other than the host (a GPU's, a test's):
// the same lazy expression as on the host. It holds its operands (an lvalue
// borrowed, an rvalue moved in) and its compile-time spec; nothing runs until it
// is assigned to a tensor of that device, evaluated with eval(), or written with
// evaluate_into (dest = alpha * einsum + beta * dest). It runs the host's plan
// (execute_on) on the Backend the device's table hands out (`D::lowered`), in
// the device's memory (`D::allocate`); a GEMM-shaped pair takes the host's
// compile-time fast path there (lower/fast_pair.hpp: no planning). Layer: expr.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ein/backend/host_device.hpp"
#include "ein/expr/execute.hpp"
#include "ein/expr/runtime_spec.hpp"
#include "ein/lower/fast_pair.hpp"
#include "ein/lower/static_pair.hpp"
#include "ein/spec/bind.hpp"
#include "ein/tensor/shape.hpp"
#include "ein/tensor/strided.hpp"
#include "ein/tensor/view.hpp"

namespace ein {
namespace detail {

/// A tensor of a device other than the host.
template <class X>
concept OtherDeviceTensor = requires { typename device_of_t<X>; } && !std::is_same_v<device_of_t<X>, Host>;

/// How a device expression holds an operand: an lvalue by address (it must outlive
/// the expression, as on the host), an rvalue moved in (a stored expression never dangles).
template <class X>
struct DeviceOperand {
  const X* held;
  [[nodiscard]] const X& get() const { return *held; }
};
template <class X>
struct OwnedDeviceOperand {
  X held;
  [[nodiscard]] const X& get() const { return held; }
};
template <class X>
using device_holder_t =
    std::conditional_t<std::is_lvalue_reference_v<X>, DeviceOperand<std::remove_cvref_t<X>>, OwnedDeviceOperand<X>>;
template <class X>
device_holder_t<X> make_device_holder(X&& x) {
  if constexpr (std::is_lvalue_reference_v<X>) return {&x};
  else return {std::move(x)};
}

/// A view of a device tensor's (dense) memory, for what reads only its pointer,
/// extents and strides (lower/fast_pair.hpp); never its elements.
template <class X>
auto device_view(X& t) {
  using V = TensorView<std::remove_pointer_t<decltype(t.data())>, std::remove_cvref_t<X>::rank>;
  return V(t.data(), t.extents(), typename V::trusted_t{});
}

/// What the compile-time and run-time expressions of a device share: the operands,
/// the spec (Source: a StaticSpec or a RuntimeSpec, expr/contraction.hpp and
/// runtime_spec.hpp) and alpha; every member that takes the result's rank R is
/// checked against the spec by the expression.
template <class T, class Source, class D, class... Holders>
class DeviceEinsumCore {
 public:
  using value_type = T;
  using device_type = D;

  explicit DeviceEinsumCore(Source source, Holders... holders)
      : source_(std::move(source)), operands_(std::move(holders)...) {}

 protected:
  static constexpr std::size_t N = sizeof...(Holders);
  using Operands = std::array<Strided<const T>, N>;
  using LabelExtents = std::array<index_t, max_labels>;

  [[nodiscard]] const BoundSpec& bound() const { return source_.bound(); }
  [[nodiscard]] std::string_view text() const { return source_.text(); }

  /// The result's extents (checked: throws shape_error).
  template <std::size_t R>
  [[nodiscard]] Extents<R> result_extents() const {
    if constexpr (may_take_pair()) {
      Extents<R> out{};
      if (pair_extents(out)) return out;
    }
    return output_extents<R>(label_extents(operands()));
  }
  /// dest = alpha * (this expression) + beta * dest; dest must have the result's
  /// extents (else shape_error). dest may be one of the operands (then through a temporary).
  template <std::size_t R>
  void evaluate(Tensor<T, R, D>& dest, T alpha, T beta) const {
    if constexpr (may_take_pair())  // the fast path's checks are its own: the extents agree, dest is no operand
      if (source_.pair().fast &&
          pair_extents_agree(source_.pair(), device_view(std::get<0>(operands_).get()),
                             device_view(std::get<1>(operands_).get()), device_view(dest)) &&
          !reads(dest))
        return run(dest, alpha_ * alpha, beta);
    const auto ops = operands();
    evaluate(dest, ops, label_extents(ops), alpha, beta);
  }
  /// The result, in a new tensor of the device.
  template <std::size_t R>
  [[nodiscard]] Tensor<T, R, D> result() const {
    if constexpr (may_take_pair()) {
      Extents<R> extents{};
      if (pair_extents(extents)) {
        Tensor<T, R, D> out = D::template allocate<T>(extents, first(), any_empty());
        run(out, alpha_, T(0));
        return out;
      }
    }
    const auto ops = operands();
    const auto extent = label_extents(ops);
    Tensor<T, R, D> out = D::template allocate<T>(output_extents<R>(extent), first(), any_empty());
    evaluate(out, ops, extent, T(1), T(0));
    return out;
  }

  Source source_;
  std::tuple<Holders...> operands_;
  T alpha_ = T(1);

 private:
  template <std::size_t R>
  Extents<R> output_extents(const LabelExtents& extent) const {
    Extents<R> out{};
    for (std::size_t d = 0; d < R; ++d) out[d] = extent[bound().output.labels[d]];
    return out;
  }
  /// Whether every element of a new result is written (beta 0): not where a zero
  /// extent leaves a sum empty.
  [[nodiscard]] bool any_empty() const {
    bool empty = false;
    for_each_operand([&](const auto& t) { empty = empty || t.size() == 0; });
    return empty;
  }
  /// The fast path's result extents: false where it does not apply or the operands'
  /// shared extents differ (a broadcast or an error: the general path decides).
  template <std::size_t R>
  bool pair_extents(Extents<R>& out) const {
    return source_.pair().fast && pair_output_extents(source_.pair(), device_view(std::get<0>(operands_).get()),
                                                      device_view(std::get<1>(operands_).get()), out);
  }
  /// evaluate with the operands and their label extents resolved (once per call).
  template <std::size_t R>
  void evaluate(Tensor<T, R, D>& dest, const Operands& ops, const LabelExtents& extent, T alpha, T beta) const {
    check_destination(text(), static_cast<int>(R), dest.extents().data(), bound().output.labels.data(),
                      extent.data());
    if (dest.size() == 0) return;
    if (!reads(dest)) return run(dest, alpha_ * alpha, beta, &ops);
    Tensor<T, R, D> tmp = D::template allocate<T>(dest.extents(), dest, false);
    run(tmp, T(1), T(0), &ops);
    const auto into = labelled_dense<const T>(tmp.data(), tmp.extents(), bound().output);
    const auto out = labelled_dense<T>(dest.data(), dest.extents(), bound().output);
    on_device([&](auto& be) { be.loop(into, nullptr, out, alpha_ * alpha, beta); }, dest, tmp);
  }
  template <class F>
  void for_each_operand(F&& f) const {
    std::apply([&](const auto&... h) { (f(h.get()), ...); }, operands_);
  }
  [[nodiscard]] const auto& first() const { return std::get<0>(operands_).get(); }
  [[nodiscard]] Operands operands() const {
    return std::apply(
        [&](const auto&... h) {
          std::size_t k = 0;
          return Operands{labelled_dense<const T>(h.get().data(), h.get().extents(), bound().inputs[k++])...};
        },
        operands_);
  }
  LabelExtents label_extents(const Operands& ops) const {
    LabelExtents extent{};
    resolve_extents(bound(), text(), ops.data(), static_cast<int>(N), extent.data());
    return extent;
  }
  /// Whether an operand's memory is dest's (it would be read while written).
  template <std::size_t R>
  [[nodiscard]] bool reads(const Tensor<T, R, D>& dest) const {
    const T* begin = dest.data();
    const T* end = begin + dest.size();
    bool overlap = false;
    for_each_operand([&](const auto& t) {
      overlap = overlap || (t.data() && t.data() < end && begin < t.data() + t.size());
    });
    return overlap;
  }
  /// f(backend) on the device of every operand (the first one's stream) and of `tensors`.
  template <class F, class... Tensors>
  void on_device(F&& f, const Tensors&... tensors) const {
    std::apply([&](const auto&... h) { D::template lowered<T>(text(), f, h.get()..., tensors...); }, operands_);
  }
  /// Whether the spec may take the compile-time fast path of a two-operand spec
  /// (lower/fast_pair.hpp): known at compile time for a compile-time spec.
  static constexpr bool may_take_pair() {
    if constexpr (N != 2) return false;
    else if constexpr (Source::compile_time) return Source::pair().fast;
    else return true;
  }
  /// dest = alpha * (this expression) + beta * dest, dest of the result's extents: a
  /// GEMM-shaped pair straight to the device's GEMM, as on the host, anything else
  /// through the plan (on `ops`, or the operands labelled here).
  template <std::size_t R>
  void run(Tensor<T, R, D>& dest, T alpha, T beta, const Operands* ops = nullptr) const {
    if (dest.size() == 0) return;
    on_device(
        [&](auto& be) {
          if constexpr (may_take_pair()) {
            if (source_.pair().fast &&
                try_fast_pair_on<T>(be, source_.pair(), device_view(std::get<0>(operands_).get()),
                                    device_view(std::get<1>(operands_).get()), device_view(dest), alpha, beta))
              return;
          }
          const Operands labelled = ops ? *ops : operands();
          execute_on<T>(be, bound(), text(), labelled.data(), static_cast<int>(N),
                        labelled_dense<T>(dest.data(), dest.extents(), bound().output), alpha, beta);
        },
        dest);
  }
};

}  // namespace detail

/// The lazy einsum of device D's tensors (what ein::einsum<S> returns for them):
/// `ein::cuda::Tensor<float, 2> C = ein::einsum<"ij,jk->ik">(A, B);`. Runs on the
/// device and stream of its first operand (D::lowered says what joining means there).
template <class T, std::size_t R, class Source, class D, class... Holders>
class DeviceEinsum : public detail::DeviceEinsumCore<T, Source, D, Holders...> {
  using Core = detail::DeviceEinsumCore<T, Source, D, Holders...>;

 public:
  static constexpr std::size_t rank = R;

  explicit DeviceEinsum(Holders... holders) : Core(Source{}, std::move(holders)...) {}

  /// The result's extents (checked: throws shape_error).
  [[nodiscard]] Extents<R> extents() const { return this->template result_extents<R>(); }
  /// dest = alpha * (this expression) + beta * dest; dest must have the result's
  /// extents (else shape_error). dest may be one of the operands (then through a temporary).
  void evaluate_into(Tensor<T, R, D>& dest, T alpha, T beta) const { this->evaluate(dest, alpha, beta); }
  /// The result, in a new tensor of the device.
  [[nodiscard]] Tensor<T, R, D> eval() const { return this->template result<R>(); }
  operator Tensor<T, R, D>() const {  // NOLINT: implicit, `Tensor<float, 2, D> C = einsum<...>(A, B);`
    return eval();
  }

  friend DeviceEinsum operator*(T s, DeviceEinsum e) {
    e.alpha_ *= s;
    return e;
  }
  friend DeviceEinsum operator*(DeviceEinsum e, T s) { return s * std::move(e); }
  friend DeviceEinsum operator-(DeviceEinsum e) { return T(-1) * std::move(e); }
};

/// The lazy einsum of device D's tensors whose spec was given at run time
/// (`ein::einsum("ij,jk->ik", A, B)`): its output rank is known only then, so it
/// converts to the Tensor<T, R, D> asked for and checks R (spec_error), as on the host.
template <class T, class D, class... Holders>
class RuntimeDeviceEinsum : public detail::DeviceEinsumCore<T, detail::RuntimeSpec, D, Holders...> {
  using Core = detail::DeviceEinsumCore<T, detail::RuntimeSpec, D, Holders...>;

 public:
  using Core::Core;

  [[nodiscard]] int rank() const { return this->bound().output.rank; }
  /// The result's extents as a rank-R array (throws spec_error when the rank is not R, shape_error).
  template <std::size_t R>
  [[nodiscard]] Extents<R> extents() const {
    check_rank(R);
    return this->template result_extents<R>();
  }
  /// dest = alpha * (this expression) + beta * dest; dest must have the result's rank and extents.
  template <std::size_t R>
  void evaluate_into(Tensor<T, R, D>& dest, T alpha, T beta) const {
    check_rank(R);
    this->evaluate(dest, alpha, beta);
  }
  template <std::size_t R>
  [[nodiscard]] Tensor<T, R, D> eval() const {
    check_rank(R);
    return this->template result<R>();
  }
  template <std::size_t R>
  operator Tensor<T, R, D>() const {  // NOLINT: `Tensor<float, 2, D> C = ein::einsum("ij,jk->ik", A, B);`
    return eval<R>();
  }

  friend RuntimeDeviceEinsum operator*(T s, RuntimeDeviceEinsum e) {
    e.alpha_ *= s;
    return e;
  }
  friend RuntimeDeviceEinsum operator*(RuntimeDeviceEinsum e, T s) { return s * std::move(e); }
  friend RuntimeDeviceEinsum operator-(RuntimeDeviceEinsum e) { return T(-1) * std::move(e); }

 private:
  void check_rank(std::size_t r) const {
    if (static_cast<int>(r) != rank())
      throw spec_error(error_prefix(this->text()) + "the output has rank " + std::to_string(rank()) +
                       ", not " + std::to_string(r));
  }
};

}  // namespace ein
