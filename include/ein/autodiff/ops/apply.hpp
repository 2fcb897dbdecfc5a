// ein::apply on Vars: a function of one or two elements (the element-math
// table's shape, math/element.hpp) applied element by element and recorded on the
// tape, its gradient from the function's own derivative. Every element-wise Var op
// of ein is one call of it; a user's own function is another. The loops are the
// device's (its map and zip); how two Vars line up is tensor/lineup.hpp's rule.
// Layer: autodiff.
#pragma once

#include <algorithm>
#include <type_traits>

#include "ein/autodiff/var.hpp"
#include "ein/math/element.hpp"
#include "ein/tensor/lineup.hpp"

namespace ein {
namespace detail {

template <class T, std::size_t R, class D, class F>
Var<T, R, D> apply_unary(F f, const Var<T, R, D>& a) {
  auto rule = [f](NodeOf<T, R, D>& self, NodeOf<T, R, D>& in) {
    D::map_backward(f, self.grad(), in.value(), self.value(), in.grad());
  };
  return record<T, R>(D::map(f, a.value()), std::move(rule), a.node());
}

template <class T, std::size_t RA, std::size_t RB, class D, class F>
auto apply_binary(F f, const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
  constexpr std::size_t R = std::max(RA, RB);
  const Lineup l = line_up(math::name_of<F>(), a.extents(), b.extents());
  auto rule = [f, l](NodeOf<T, R, D>& self, NodeOf<T, RA, D>& na, NodeOf<T, RB, D>& nb) {
    D::zip_backward(f, l, self.grad(), na.value(), nb.value(), self.value(),
                    na.requires_grad() ? &na.grad() : nullptr, nb.requires_grad() ? &nb.grad() : nullptr);
  };
  return record<T, R>(D::zip(f, l, a.value(), b.value(), result_extents(a.extents(), b.extents())), std::move(rule),
                      a.node(), b.node());
}

}  // namespace detail

/// f applied to every element of v and recorded: y = f(x); backward adds
/// g * f.derivative(x, y) to v's gradient (when v needs one). f: a row of
/// math/element.hpp, a struct of the same shape, or ein::with_derivative(f, df).
/// (On a CUDA Var f is a row of the table: ein's kernels are built without the
/// user's code.)
template <class F, class T, std::size_t R, class D>
  requires math::UnaryFunction<F, T>
Var<T, R, D> apply(F f, const Var<T, R, D>& v) {
  return detail::apply_unary(f, v);
}

/// f applied to the elements of a and b, lined up as tensor/lineup.hpp says (equal
/// extents, a rank-1 bias along the last axis, or a rank-0 Var): z = f(x, y);
/// backward adds g * f.dx(x, y, z) to a's gradient and g * f.dy(x, y, z) to b's
/// (each only when it needs one), summed where an operand repeats.
template <class F, class T, std::size_t RA, std::size_t RB, class D>
  requires math::BinaryFunction<F, T> && detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> apply(F f, const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
  return detail::apply_binary(f, a, b);
}

}  // namespace ein
