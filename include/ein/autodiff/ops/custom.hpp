// ein::apply of a Function: an op written by the user with its own backward, in
// the spirit of torch.autograd.Function. Layer: autodiff.
//
//   struct Cube {
//     ein::Tensor<double, 1> x;  // what backward needs, saved by forward
//     ein::Tensor<double, 1> forward(const ein::Tensor<double, 1>& in) {
//       x = in;
//       return ein::pow(in, 3.0);
//     }
//     ein::Tensor<double, 1> backward(const ein::Tensor<double, 1>& grad) { return 3.0 * ein::square(x) * grad; }
//   };
//   auto y = ein::apply(Cube{}, v);
//
// forward gets the inputs' values and returns the output's; the object itself is
// what it saves (it lives in the tape node and is freed with the graph). backward
// gets the output's gradient and returns one gradient per input (a std::tuple,
// or one tensor for one input); it may take a second argument, a std::array<bool,
// N> saying which inputs need a gradient (PyTorch's needs_input_grad), to skip the
// others' work. The library adds each gradient into its input where that needs
// one, after summing it over the axes the input was broadcast along: the leading
// axes it lacks and the axes where it has extent 1 (NumPy's rules, as PyTorch's
// autograd does); any other mismatch throws ein::shape_error. On Vars of another
// device, forward and backward get and return that device's tensors (see apply).
#pragma once

#include <array>
#include <concepts>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ein/autodiff/var.hpp"

namespace ein {
namespace detail {

/// g summed into `into` over the axes `into` was broadcast along (see the header).
template <class T, std::size_t RI, std::size_t RG>
void add_reduced(Tensor<T, RI>& into, const Tensor<T, RG>& g, std::size_t input) {
  static_assert(RG >= RI, "ein::apply: a gradient has fewer axes than its input");
  constexpr std::size_t lead = RG - RI;
  const auto fail = [&] {
    throw shape_error("ein::apply: the gradient of input " + std::to_string(input) + " has extents " +
                      to_string(g.extents()) + ", which do not reduce to the input's " + to_string(into.extents()));
  };
  std::array<index_t, RG + 1> step{};  // into's stride along each axis of g (0: summed)
  index_t stride = 1;
  for (std::size_t a = RI; a-- > 0;) {
    const index_t e = into.extents()[a], eg = g.extents()[lead + a];
    if (e != eg && e != 1) fail();
    step[lead + a] = e == eg ? stride : 0;
    stride *= e;
  }
  if (g.size() == 0) return;
  std::array<index_t, RG + 1> at{};
  T* out = into.data();
  const T* in = g.data();
  index_t offset = 0;
  for (index_t k = 0, n = g.size(); k < n; ++k) {
    out[offset] += in[k];
    for (std::size_t a = RG; a-- > 0;) {  // the odometer over g's axes, last fastest
      offset += step[a];
      if (++at[a] < g.extents()[a]) break;
      offset -= step[a] * g.extents()[a];
      at[a] = 0;
    }
  }
}

template <class G>
auto as_gradient_tuple(G&& g) {
  if constexpr (requires { std::tuple_size<std::remove_cvref_t<G>>::value; }) return std::forward<G>(g);
  else return std::tuple<std::remove_cvref_t<G>>(std::forward<G>(g));
}

/// Adds a user op's gradient g (a tensor of device D, or on the host an expression)
/// of input k, an RI-axis tensor, into that input's node where it needs one, summed
/// over the axes the input was broadcast along (add_reduced): on the host in place;
/// on another device by its table where g has the input's extents, else summed on
/// the host and added by the table (see apply).
template <class D, class T, std::size_t RI, class Node, class G>
void add_gradient(Node& node, const G& g, std::size_t k) {
  if (!node.requires_grad()) return;
  constexpr std::size_t RG = G::rank;
  using DeviceTensor = Tensor<T, RG, D>;
  if constexpr (!std::is_base_of_v<DeviceTensor, G> && !std::is_base_of_v<Tensor<T, RG>, G>) {
    return add_gradient<D, T, RI>(node, DeviceTensor(g), k);  // (an expression: evaluated)
  } else if constexpr (std::is_same_v<D, Host>) {
    add_reduced(node.grad(), g, k);
  } else {
    if constexpr (RG == RI)
      if (g.extents() == node.grad().extents()) return D::add_into(node.grad(), g);
    Tensor<T, RI> sum(node.grad().extents());
    add_reduced(sum, D::to_host(g), k);
    D::add_into(node.grad(), D::from_host(sum));
  }
}

}  // namespace detail

/// A user's op with its own backward (see the header): forward and backward as
/// members of Op. On another device than the host, forward gets and returns that
/// device's tensors (and so does backward); a gradient of the input's own extents
/// is added by the device's table, one that must be summed over broadcast axes goes
/// through the host (copied there and back: the device tables have no such sum).
template <class Op, class T, class D, std::size_t... R>
  requires requires(Op& op, const Tensor<T, R, D>&... values) {
    { op.forward(values...) };
  }
auto apply(Op op, const Var<T, R, D>&... inputs) {
  using Value = std::remove_cvref_t<decltype(op.forward(inputs.value()...))>;  // a tensor or an expression
  static_assert(std::is_same_v<typename Value::value_type, T>, "ein::apply: forward returns the inputs' element type");
  constexpr std::size_t RO = Value::rank;
  using Out = Tensor<T, RO, D>;
  Out value(op.forward(inputs.value()...));
  auto rule = [op = std::move(op)](detail::NodeOf<T, RO, D>& self, detail::NodeOf<T, R, D>&... in) mutable {
    constexpr std::size_t n = sizeof...(R);
    const std::array<bool, n> needs{in.requires_grad()...};
    auto grads = [&] {
      if constexpr (requires { op.backward(self.grad(), needs); })
        return detail::as_gradient_tuple(op.backward(self.grad(), needs));
      else
        return detail::as_gradient_tuple(op.backward(self.grad()));
    }();
    static_assert(std::tuple_size_v<decltype(grads)> == n, "ein::apply: backward returns one gradient per input");
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (detail::add_gradient<D, T, R>(in, std::get<K>(grads), K), ...);
    }(std::index_sequence_for<decltype(in)...>{});
  };
  return detail::record<T, RO>(std::move(value), std::move(rule), inputs.node()...);
}

}  // namespace ein
