// libtorch's MLP step for bench/mlp: the same model with torch::einsum and
// autograd, torch::optim::SGD (momentum 0.9), on tensors holding the same numbers
// (cloned from the Problem). Threads: at::set_num_threads with every other
// library's. Debian's libtorch runs float GEMMs on the libblas.so.3 alternative
// (OpenBLAS when installed): its thread count is set with the others (see main.cpp).
// Layer: bench.
#include <ATen/Parallel.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "problem.hpp"

namespace bench {
namespace {

class TorchMlp final : public Model {
 public:
  explicit TorchMlp(const Problem& p)
      : x_(tensor(p.x, {p.n, inputs})),
        y_(torch::arange(p.n, torch::kLong).remainder(classes)),
        w1_(tensor(p.w1, {p.h, inputs}).requires_grad_()),
        w2_(tensor(p.w2, {classes, p.h}).requires_grad_()),
        b1_(tensor(p.b1, {p.h}).requires_grad_()),
        b2_(tensor(p.b2, {classes}).requires_grad_()),
        opt_({w1_, b1_, w2_, b2_}, torch::optim::SGDOptions(learning_rate).momentum(momentum)) {}

  float forward() override { return loss().item<float>(); }

  float step() override {
    const torch::Tensor l = loss();
    opt_.zero_grad();
    l.backward();
    opt_.step();
    return l.item<float>();
  }

 private:
  static torch::Tensor tensor(const std::vector<float>& v, std::vector<std::int64_t> sizes) {
    return torch::from_blob(const_cast<float*>(v.data()), sizes, torch::kFloat).clone();
  }

  torch::Tensor loss() {
    const torch::Tensor a = torch::einsum("ij,lj->li", {w1_, x_}) + b1_;
    const torch::Tensor h = torch::relu(a);
    const torch::Tensor o = torch::einsum("ij,lj->li", {w2_, h}) + b2_;
    return torch::nn::functional::cross_entropy(o, y_);
  }

  torch::Tensor x_, y_, w1_, w2_, b1_, b2_;
  torch::optim::SGD opt_;
};

}  // namespace

void add_torch_impl() {
  add_thread_hook([](int threads) { at::set_num_threads(threads); });
  impls().push_back({"torch", [](const Problem& p) { return std::make_unique<TorchMlp>(p); }, false});
}

std::string torch_version() {
  const std::string info = at::get_parallel_info();
  const auto at_line = info.find("parallel backend");
  const std::string backend =
      at_line == std::string::npos ? "" : info.substr(at_line, info.find('\n', at_line) - at_line);
  return std::string("libtorch ") + TORCH_VERSION + " (" + backend + ")";
}

}  // namespace bench
