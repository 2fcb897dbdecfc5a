// The optimizers' per-element update rules: one formula for SGD and one for Adam,
// as PyTorch's torch.optim (one parameter group), compiled by g++ for the host's
// update loops and by nvcc for the CUDA kernels, so both devices step alike.
// Layer: math (plain C++, no CUDA header).
#pragma once

#include "ein/math/element.hpp"

namespace ein::math {

/// One SGD step's scalars, in the parameter's element type.
template <class T>
struct SgdArgs {
  T lr, weight_decay, momentum, damp;  // damp = 1 - dampening
  bool nesterov, maximize;
  bool started;  // the momentum buffer holds a value (not the first step)
};

/// Updates p (and the momentum buffer b, when momentum != 0) from gradient g, as
/// torch.optim.SGD: g += wd p; b = started ? mu b + damp g : g; g = nesterov ? g + mu b : b; p -= lr g.
template <class T>
EIN_HOST_DEVICE inline void sgd_update(T& p, T grad, T* b, const SgdArgs<T>& a) {
  T g = a.maximize ? -grad : grad;
  if (a.weight_decay != T(0)) g += a.weight_decay * p;
  if (b != nullptr) {
    *b = a.started ? a.momentum * *b + a.damp * g : g;
    g = a.nesterov ? g + a.momentum * *b : *b;
  }
  p -= a.lr * g;
}

/// One Adam step's scalars: step_size = lr / (1 - beta1^t) and
/// correction2_sqrt = sqrt(1 - beta2^t), computed in double and cast.
template <class T>
struct AdamArgs {
  T step_size, correction2_sqrt, weight_decay, eps;
  T w1, b2, w2;  // 1 - beta1, beta2, 1 - beta2
  bool maximize;
};

/// PyTorch's lerp: start + w (end - start) for w < 1/2, end - (end - start)(1 - w) otherwise.
/// (V: T, or a vector of T's lanes, as adam_update.)
template <class V, class T>
EIN_HOST_DEVICE inline V lerp(V start, V end, T w) {
  return w < T(0.5) ? start + w * (end - start) : end - (end - start) * (T(1) - w);
}

/// sqrt_of, adam_update's square root by default.
struct SqrtOf {
  template <class T>
  EIN_HOST_DEVICE T operator()(T x) const {
    return sqrt_of(x);
  }
};

/// Updates p and the moments m, v (and v_max under AMSGrad, when not null), as torch.optim.Adam.
/// V is T, or a vector of T's lanes (the host's loop, optim/parameter.hpp), with a
/// `root` that takes the square root of each lane: one rule for both.
template <class V, class T, class Root = SqrtOf>
EIN_HOST_DEVICE inline void adam_update(V& p, V grad, V& m, V& v, V* v_max, const AdamArgs<T>& a, Root root = {}) {
  V g = a.maximize ? -grad : grad;
  if (a.weight_decay != T(0)) g += a.weight_decay * p;
  m = lerp(m, g, a.w1);
  v = v * a.b2 + a.w2 * g * g;
  V second = v;
  if (v_max != nullptr) second = *v_max = (*v_max < v ? v : *v_max);
  p -= a.step_size * (m / (root(second) / a.correction2_sqrt + a.eps));
}

}  // namespace ein::math
