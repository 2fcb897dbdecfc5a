// SGD with momentum, dampening, Nesterov and weight decay, exactly as PyTorch's
// torch.optim.SGD (one parameter group). Layer: optim.
//
// Per parameter p with gradient g, each step():
//   g = -g if maximize;  g += weight_decay * p
//   if momentum != 0: b = g on the first step, else b = momentum * b + (1 - dampening) * g
//                     g = g + momentum * b if nesterov, else b
//   p -= lr * g
// Parameters that no backward has reached yet are skipped, like PyTorch's p.grad is None.
#pragma once

#include <stdexcept>
#include <utility>
#include <vector>

#include "ein/optim/parameter.hpp"

namespace ein::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

/// `ein::optim::SGD opt({W1, b1, W2, b2}, {.lr = 0.1, .momentum = 0.9});`
/// then per batch: opt.zero_grad(); loss.backward(); opt.step();
class SGD {
 public:
  using Options = SGDOptions;

  /// Throws std::invalid_argument for a negative lr, momentum or weight decay, or
  /// nesterov without momentum or with dampening (as PyTorch), and for a Var
  /// listed twice (PyTorch only warns; it would be stepped twice).
  explicit SGD(std::vector<Parameter> params, SGDOptions options = {})
      : params_(std::move(params)), options_(options), state_(params_.size()) {
    detail::check_distinct_parameters("SGD", params_);
    if (options.lr < 0) throw std::invalid_argument("SGD: invalid learning rate " + std::to_string(options.lr));
    if (options.momentum < 0) throw std::invalid_argument("SGD: invalid momentum " + std::to_string(options.momentum));
    if (options.weight_decay < 0)
      throw std::invalid_argument("SGD: invalid weight_decay " + std::to_string(options.weight_decay));
    if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
      throw std::invalid_argument("SGD: nesterov momentum requires a momentum and zero dampening");
  }

  /// One update of every parameter that has a gradient, on its device (math/update.hpp's
  /// rule). The momentum buffers are allocated at a parameter's first step; later
  /// steps allocate nothing.
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      params_[i].visit([&]<class T>(const Access<T>& at) {
        if (at.grad == nullptr) return;
        State& s = state_[i];
        const math::SgdArgs<T> args{static_cast<T>(options_.lr),       static_cast<T>(options_.weight_decay),
                                    static_cast<T>(options_.momentum), static_cast<T>(1.0 - options_.dampening),
                                    options_.nesterov,                 options_.maximize,
                                    s.started};
        T* b = args.momentum != T(0) ? s.momentum.get<T>("SGD", i, at) : nullptr;
        at.device->sgd(at.context, at.size, at.value, at.grad, b, args);
        s.started = true;
      });
    }
  }

  /// Zeroes every parameter's gradient (keeping the buffers, as PyTorch's
  /// zero_grad(set_to_none=False)).
  void zero_grad() {
    for (const Parameter& p : params_) p.zero_grad();
  }

  /// The options, writable between steps (a learning-rate schedule sets lr).
  [[nodiscard]] SGDOptions& options() { return options_; }
  [[nodiscard]] const SGDOptions& options() const { return options_; }
  [[nodiscard]] const std::vector<Parameter>& parameters() const { return params_; }

 private:
  struct State {
    detail::StateBuffer momentum;
    bool started = false;  // the momentum buffer holds a value
  };
  std::vector<Parameter> params_;
  SGDOptions options_;
  std::vector<State> state_;
};

}  // namespace ein::optim
