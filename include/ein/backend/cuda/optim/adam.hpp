// Adam on device parameters: bias correction, weight decay, AMSGrad, with
// ein::optim::Adam's options and formulas (element::adam_update); the bias
// corrections are computed in double on the host from the step count, so a
// step reads nothing back. Layer: backend (cuda), optim.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/optim/parameter.hpp"
#include "ein/optim/adam.hpp"

namespace ein::cuda::optim {

using AdamOptions = ein::optim::AdamOptions;

/// `ein::cuda::optim::Adam opt({W1, b1, W2, b2}, {.lr = 1e-3});`
class Adam {
 public:
  using Options = AdamOptions;

  /// Throws std::invalid_argument as ein::optim::Adam does.
  explicit Adam(std::vector<Parameter> params, AdamOptions options = {})
      : params_(std::move(params)), options_(options), state_(params_.size()) {
    ein::detail::check_distinct_parameters("Adam", params_);
    if (options.lr < 0) throw std::invalid_argument("Adam: invalid learning rate " + std::to_string(options.lr));
    if (options.eps < 0) throw std::invalid_argument("Adam: invalid eps " + std::to_string(options.eps));
    for (int i = 0; i < 2; ++i)
      if (!(options.betas[i] >= 0 && options.betas[i] < 1))
        throw std::invalid_argument("Adam: invalid beta " + std::to_string(i) + ": " + std::to_string(options.betas[i]));
    if (options.weight_decay < 0)
      throw std::invalid_argument("Adam: invalid weight_decay " + std::to_string(options.weight_decay));
  }

  /// One update of every parameter that has a gradient, queued on its stream.
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      params_[i].visit([&]<class T>(T* p, const T* grad, index_t n, Context& ctx) {
        if (grad == nullptr) return;
        State& s = state_[i];
        const std::int64_t t = ++s.step;
        const double beta1 = options_.betas[0], beta2 = options_.betas[1];
        const element::AdamArgs<T> args{
            static_cast<T>(options_.lr / (1.0 - std::pow(beta1, static_cast<double>(t)))),
            static_cast<T>(std::sqrt(1.0 - std::pow(beta2, static_cast<double>(t)))),
            static_cast<T>(options_.weight_decay),
            static_cast<T>(options_.eps),
            static_cast<T>(1.0 - beta1),
            static_cast<T>(beta2),
            static_cast<T>(1.0 - beta2),
            options_.maximize};
        T* m = s.exp_avg.get<T>("Adam", i, n, ctx);
        T* v = s.exp_avg_sq.get<T>("Adam", i, n, ctx);
        T* v_max = options_.amsgrad ? s.max_exp_avg_sq.get<T>("Adam", i, n, ctx) : nullptr;
        kernels::adam_step(ctx.stream(), n, p, grad, m, v, v_max, args);
      });
    }
  }

  void zero_grad() {
    for (const Parameter& p : params_) p.zero_grad();
  }

  [[nodiscard]] AdamOptions& options() { return options_; }
  [[nodiscard]] const AdamOptions& options() const { return options_; }
  [[nodiscard]] const std::vector<Parameter>& parameters() const { return params_; }

 private:
  struct State {
    detail::DeviceStateBuffer exp_avg, exp_avg_sq, max_exp_avg_sq;
    std::int64_t step = 0;
  };
  std::vector<Parameter> params_;
  AdamOptions options_;
  std::vector<State> state_;
};

}  // namespace ein::cuda::optim
