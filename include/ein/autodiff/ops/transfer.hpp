// ein::to<D>(v): a Var copied to device D and recorded on the tape, as PyTorch's
// v.to(device): the copy's gradient goes back to v on v's device. (ein::to<D> of a
// host tensor, backend/host_device.hpp, is the plain copy.) Layer: autodiff.
#pragma once

#include <type_traits>

#include "ein/autodiff/var.hpp"

namespace ein {
namespace detail {

/// A tensor of device From as a tensor of device To, through the host.
template <class To, class From, class T, std::size_t R>
Tensor<T, R, To> copy_between(const Tensor<T, R, From>& t) {
  if constexpr (std::is_same_v<From, Host>) return To::from_host(t);
  else if constexpr (std::is_same_v<To, Host>) return From::to_host(t);
  else return To::from_host(From::to_host(t));
}

}  // namespace detail

/// v on device D: v itself when it is there already; else a copy whose gradient is
/// added to v's (copied back to v's device) by backward.
template <class D, class T, std::size_t R, class S>
Var<T, R, D> to(const Var<T, R, S>& v) {
  if constexpr (std::is_same_v<D, S>) {
    return v;
  } else {
    auto rule = [](detail::NodeOf<T, R, D>& self, detail::NodeOf<T, R, S>& in) {
      S::add_into(in.grad(), detail::copy_between<S, D, T, R>(self.grad()));
    };
    return detail::record<T, R>(detail::copy_between<D, S, T, R>(v.value()), std::move(rule), v.node());
  }
}

}  // namespace ein
