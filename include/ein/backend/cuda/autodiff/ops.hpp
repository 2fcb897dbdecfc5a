// Element-wise ops and whole-tensor reductions on ein::cuda::Vars, with
// gradients: a + b, a - b, a * b, a / b (lined up as on the CPU: equal extents,
// a rank-1 bias along the last axis, or a rank-0 Var), unary minus, scalars on
// either side, exp log sqrt abs tanh sigmoid relu pow, sum and mean. The same
// rules as include/ein/autodiff/ops/*, run by kernels on the value's stream.
// Layer: backend (cuda), autodiff.
#pragma once

#include <algorithm>
#include <limits>

#include "ein/autodiff/ops/arithmetic.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"

namespace ein::cuda {
namespace detail {

inline element::Lineup device_lineup(const ein::detail::Lineup& l) {
  return {l.outer, l.inner, l.a_outer, l.a_inner, l.b_outer, l.b_inner};
}

template <element::BinaryOp Op>
constexpr const char* binary_name() {
  switch (Op) {
    case element::BinaryOp::add: return "+";
    case element::BinaryOp::sub: return "-";
    case element::BinaryOp::mul: return "*";
    case element::BinaryOp::div: return "/";
  }
  return "?";
}

template <element::BinaryOp Op, class T, std::size_t RA, std::size_t RB>
auto binary(const Var<T, RA>& a, const Var<T, RB>& b) {
  constexpr std::size_t R = std::max(RA, RB);
  const element::Lineup l = device_lineup(ein::detail::line_up(binary_name<Op>(), a.extents(), b.extents()));
  Context& ctx = a.context();
  Tensor<T, R> value(ein::detail::result_extents(a.extents(), b.extents()), ctx);
  kernels::binary_forward(ctx.stream(), Op, l, a.value().data(), b.value().data(), value.data());
  auto rule = [l](DeviceNode<T, R>& self, DeviceNode<T, RA>& na, DeviceNode<T, RB>& nb) {
    kernels::binary_backward(self.stream(), Op, l, self.grad().data(), na.value().data(), nb.value().data(),
                             self.value().data(), na.requires_grad() ? na.grad().data() : nullptr,
                             nb.requires_grad() ? nb.grad().data() : nullptr);
  };
  return record<T, R>(std::move(value), std::move(rule), a.node(), b.node());
}

/// z = f(x, s) element by element; dz/dx from element::unary_partial.
template <class T, std::size_t R>
Var<T, R> unary(const Var<T, R>& a, element::UnaryOp op, T s = T(0)) {
  Context& ctx = a.context();
  Tensor<T, R> value(a.extents(), ctx);
  kernels::unary_forward(ctx.stream(), op, value.size(), a.value().data(), value.data(), s);
  auto rule = [op, s](DeviceNode<T, R>& self, DeviceNode<T, R>& in) {
    kernels::unary_backward(self.stream(), op, self.value().size(), self.grad().data(), in.value().data(),
                            self.value().data(), in.grad().data(), s);
  };
  return record<T, R>(std::move(value), std::move(rule), a.node());
}

/// scale * sum(v) as a rank-0 Var; every element's gradient grows by scale times the result's.
template <class T, std::size_t R>
Var<T, 0> scaled_sum(const Var<T, R>& v, T scale) {
  Context& ctx = v.context();
  Tensor<T, 0> value(Extents<0>{}, ctx);
  kernels::scaled_sum_forward(ctx.stream(), v.value().size(), v.value().data(), scale, value.data());
  auto rule = [scale](DeviceNode<T, 0>& self, DeviceNode<T, R>& in) {
    kernels::scaled_sum_backward(self.stream(), in.value().size(), self.grad().data(), scale, in.grad().data());
  };
  return record<T, 0>(std::move(value), std::move(rule), v.node());
}

}  // namespace detail

/// a + b, a - b, a * b, a / b element by element, lined up as on the CPU.
template <class T, std::size_t RA, std::size_t RB>
  requires ein::detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator+(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<element::BinaryOp::add>(a, b);
}
template <class T, std::size_t RA, std::size_t RB>
  requires ein::detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator-(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<element::BinaryOp::sub>(a, b);
}
template <class T, std::size_t RA, std::size_t RB>
  requires ein::detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator*(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<element::BinaryOp::mul>(a, b);
}
template <class T, std::size_t RA, std::size_t RB>
  requires ein::detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator/(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<element::BinaryOp::div>(a, b);
}

/// -a element by element.
template <class T, std::size_t R>
Var<T, R> operator-(const Var<T, R>& a) {
  return detail::unary(a, element::UnaryOp::neg);
}

// A scalar on either side, converted to the Var's element type; it gets no gradient.
template <class T, std::size_t R>
Var<T, R> operator+(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, element::UnaryOp::add, s);
}
template <class T, std::size_t R>
Var<T, R> operator+(std::type_identity_t<T> s, const Var<T, R>& a) {
  return a + s;
}
template <class T, std::size_t R>
Var<T, R> operator-(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, element::UnaryOp::sub, s);
}
template <class T, std::size_t R>
Var<T, R> operator-(std::type_identity_t<T> s, const Var<T, R>& a) {
  return detail::unary(a, element::UnaryOp::rsub, s);
}
template <class T, std::size_t R>
Var<T, R> operator*(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, element::UnaryOp::mul, s);
}
template <class T, std::size_t R>
Var<T, R> operator*(std::type_identity_t<T> s, const Var<T, R>& a) {
  return a * s;
}
template <class T, std::size_t R>
Var<T, R> operator/(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, element::UnaryOp::div, s);
}
template <class T, std::size_t R>
Var<T, R> operator/(std::type_identity_t<T> s, const Var<T, R>& a) {
  return detail::unary(a, element::UnaryOp::rdiv, s);
}

/// e^v, ln v, sqrt v, |v|, tanh v, sigmoid v, max(v, 0), v^p element by element
/// (the CPU's rows of math/element.hpp, derivatives included).
template <class T, std::size_t R>
Var<T, R> exp(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::exp);
}
template <class T, std::size_t R>
Var<T, R> log(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::log);
}
template <class T, std::size_t R>
Var<T, R> sqrt(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::sqrt);
}
template <class T, std::size_t R>
Var<T, R> abs(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::abs);
}
template <class T, std::size_t R>
Var<T, R> tanh(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::tanh);
}
template <class T, std::size_t R>
Var<T, R> sigmoid(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::sigmoid);
}
template <class T, std::size_t R>
Var<T, R> relu(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::relu);
}
template <class T, std::size_t R>
Var<T, R> pow(const Var<T, R>& v, std::type_identity_t<T> p) {
  return detail::unary(v, element::UnaryOp::pow, p);
}
/// v where v >= 0, slope * v below; the exact GELU; the SiLU (math/element.hpp).
template <class T, std::size_t R>
Var<T, R> leaky_relu(const Var<T, R>& v, double slope = 0.01) {
  return detail::unary(v, element::UnaryOp::leaky_relu, static_cast<T>(slope));
}
template <class T, std::size_t R>
Var<T, R> gelu(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::gelu);
}
template <class T, std::size_t R>
Var<T, R> silu(const Var<T, R>& v) {
  return detail::unary(v, element::UnaryOp::silu);
}

/// The sum of every element, as a rank-0 Var (0 for no elements).
template <class T, std::size_t R>
Var<T, 0> sum(const Var<T, R>& v) {
  return detail::scaled_sum(v, T(1));
}
/// The mean of every element, as a rank-0 Var (NaN for no elements, like PyTorch).
template <class T, std::size_t R>
Var<T, 0> mean(const Var<T, R>& v) {
  const index_t n = v.value().size();
  if (n == 0) return detail::scaled_sum(v, std::numeric_limits<T>::quiet_NaN());
  return detail::scaled_sum(v, T(1) / static_cast<T>(n));
}

}  // namespace ein::cuda
