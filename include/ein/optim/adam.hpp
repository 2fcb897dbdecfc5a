// Adam with bias correction, weight decay (L2, added to the gradient) and
// AMSGrad, exactly as PyTorch's torch.optim.Adam (one parameter group).
// Layer: optim.
//
// Per parameter p with gradient g, at its step t = 1, 2, ...:
//   g = -g if maximize;  g += weight_decay * p
//   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2
//   v_max = max(v_max, v) if amsgrad, and v_max replaces v below
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Parameters that no backward has reached yet are skipped and their t stays.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "ein/optim/parameter.hpp"

namespace ein::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;
};

/// `ein::optim::Adam opt({W1, b1, W2, b2}, {.lr = 1e-3, .betas = {0.9, 0.99}});`
/// then per batch: opt.zero_grad(); loss.backward(); opt.step();
class Adam {
 public:
  using Options = AdamOptions;

  /// Throws std::invalid_argument for a negative lr, eps or weight decay, or a
  /// beta outside [0, 1) (as PyTorch), and for a Var listed twice (PyTorch
  /// only warns; it would be stepped twice).
  explicit Adam(std::vector<Parameter> params, AdamOptions options = {})
      : params_(std::move(params)), options_(options), state_(params_.size()) {
    detail::check_distinct_parameters("Adam", params_);
    if (options.lr < 0) throw std::invalid_argument("Adam: invalid learning rate " + std::to_string(options.lr));
    if (options.eps < 0) throw std::invalid_argument("Adam: invalid eps " + std::to_string(options.eps));
    for (std::size_t i = 0; i < 2; ++i)
      if (!(options.betas[i] >= 0 && options.betas[i] < 1))
        throw std::invalid_argument("Adam: invalid beta " + std::to_string(i) + ": " + std::to_string(options.betas[i]));
    if (options.weight_decay < 0)
      throw std::invalid_argument("Adam: invalid weight_decay " + std::to_string(options.weight_decay));
  }

  /// One update of every parameter that has a gradient. The moment buffers are
  /// allocated at a parameter's first step; later steps allocate nothing.
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      params_[i].visit([&]<class T>(const Access<T>& at) {
        if (at.grad == nullptr) return;
        State& s = state_[i];
        const std::int64_t t = ++s.step;
        const double beta1 = options_.betas[0], beta2 = options_.betas[1];
        // As PyTorch: the bias corrections in double, then one scalar each.
        const math::AdamArgs<T> args{static_cast<T>(options_.lr / (1.0 - std::pow(beta1, static_cast<double>(t)))),
                                     static_cast<T>(std::sqrt(1.0 - std::pow(beta2, static_cast<double>(t)))),
                                     static_cast<T>(options_.weight_decay),
                                     static_cast<T>(options_.eps),
                                     static_cast<T>(1.0 - beta1),
                                     static_cast<T>(beta2),
                                     static_cast<T>(1.0 - beta2),
                                     options_.maximize};
        T* m = s.exp_avg.get<T>("Adam", i, at);
        T* v = s.exp_avg_sq.get<T>("Adam", i, at);
        T* v_max = options_.amsgrad ? s.max_exp_avg_sq.get<T>("Adam", i, at) : nullptr;
        at.device->adam(at.context, at.size, at.value, at.grad, m, v, v_max, args);
      });
    }
  }

  /// Zeroes every parameter's gradient (keeping the buffers, as PyTorch's
  /// zero_grad(set_to_none=False)).
  void zero_grad() {
    for (const Parameter& p : params_) p.zero_grad();
  }

  /// The options, writable between steps (a learning-rate schedule sets lr).
  [[nodiscard]] AdamOptions& options() { return options_; }
  [[nodiscard]] const AdamOptions& options() const { return options_; }
  [[nodiscard]] const std::vector<Parameter>& parameters() const { return params_; }

 private:
  struct State {
    detail::StateBuffer exp_avg, exp_avg_sq, max_exp_avg_sq;
    std::int64_t step = 0;
  };
  std::vector<Parameter> params_;
  AdamOptions options_;
  std::vector<State> state_;
};

}  // namespace ein::optim
