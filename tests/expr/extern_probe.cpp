// Compiled with EIN_EXTERN_ENGINE and never linked: extern_symbols.cmake checks
// that this object only refers to the engine's float and double instances
// (include/ein/engine.hpp) and defines none of them. Every entry into the engine
// is reached: the fast GEMM path's fallbacks, the general engine, the single-operand
// loop, a batch, a run-time spec and a gradient.
#include "ein/autodiff.hpp"

template <class T>
void probe(ein::Tensor<T, 2>& c, const ein::Tensor<T, 2>& a, const ein::Tensor<T, 2>& b, ein::Tensor<T, 3>& d,
           const ein::Tensor<T, 3>& x, const ein::Tensor<T, 3>& y) {
  c = ein::einsum<"ij,jk->ik">(a, b);
  c = ein::einsum<"ij->ji">(a);
  c = ein::einsum<"ij,jk,kl->il">(a, b, a);
  c = ein::einsum("ij,kj->ik", a, b);
  d = ein::einsum<"bij,bjk->bik">(x, y);
  ein::Var<T, 2> w = ein::param(a);
  ein::Var<T, 0> loss = ein::sum(ein::einsum<"ij,jk->ik">(w, ein::constant(b)));
  loss.backward();
}

template void probe<float>(ein::Tensor<float, 2>&, const ein::Tensor<float, 2>&, const ein::Tensor<float, 2>&,
                           ein::Tensor<float, 3>&, const ein::Tensor<float, 3>&, const ein::Tensor<float, 3>&);
template void probe<double>(ein::Tensor<double, 2>&, const ein::Tensor<double, 2>&, const ein::Tensor<double, 2>&,
                            ein::Tensor<double, 3>&, const ein::Tensor<double, 3>&, const ein::Tensor<double, 3>&);
