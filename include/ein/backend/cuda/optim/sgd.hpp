// SGD on device parameters: momentum, dampening, Nesterov, weight decay, with
// ein::optim::SGD's options and formulas (element::sgd_update), one kernel per
// parameter, in place. Layer: backend (cuda), optim.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/optim/parameter.hpp"
#include "ein/optim/sgd.hpp"

namespace ein::cuda::optim {

using SGDOptions = ein::optim::SGDOptions;

/// `ein::cuda::optim::SGD opt({W1, b1, W2, b2}, {.lr = 0.1, .momentum = 0.9});`
class SGD {
 public:
  using Options = SGDOptions;

  /// Throws std::invalid_argument as ein::optim::SGD does.
  explicit SGD(std::vector<Parameter> params, SGDOptions options = {})
      : params_(std::move(params)), options_(options), state_(params_.size()) {
    ein::detail::check_distinct_parameters("SGD", params_);
    if (options.lr < 0) throw std::invalid_argument("SGD: invalid learning rate " + std::to_string(options.lr));
    if (options.momentum < 0) throw std::invalid_argument("SGD: invalid momentum " + std::to_string(options.momentum));
    if (options.weight_decay < 0)
      throw std::invalid_argument("SGD: invalid weight_decay " + std::to_string(options.weight_decay));
    if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
      throw std::invalid_argument("SGD: nesterov momentum requires a momentum and zero dampening");
  }

  /// One update of every parameter that has a gradient, queued on its stream.
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      params_[i].visit([&]<class T>(T* p, const T* grad, index_t n, Context& ctx) {
        if (grad == nullptr) return;
        State& s = state_[i];
        const element::SgdArgs<T> args{static_cast<T>(options_.lr),       static_cast<T>(options_.weight_decay),
                                       static_cast<T>(options_.momentum), static_cast<T>(1.0 - options_.dampening),
                                       options_.nesterov,                 options_.maximize,
                                       s.started};
        T* b = args.momentum != T(0) ? s.momentum.get<T>("SGD", i, n, ctx) : nullptr;
        kernels::sgd_step(ctx.stream(), n, p, grad, b, args);
        s.started = true;
      });
    }
  }

  void zero_grad() {
    for (const Parameter& p : params_) p.zero_grad();
  }

  [[nodiscard]] SGDOptions& options() { return options_; }
  [[nodiscard]] const SGDOptions& options() const { return options_; }
  [[nodiscard]] const std::vector<Parameter>& parameters() const { return params_; }

 private:
  struct State {
    detail::DeviceStateBuffer momentum;
    bool started = false;
  };
  std::vector<Parameter> params_;
  SGDOptions options_;
  std::vector<State> state_;
};

}  // namespace ein::cuda::optim
