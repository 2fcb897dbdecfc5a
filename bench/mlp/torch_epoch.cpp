// ein_bench_torch_epoch: examples/mlp's model and training loop written with libtorch,
// for timing an epoch on Fashion-MNIST against `mlp` in the same run (issue 12):
// 784-H-10, ReLU, softmax cross-entropy, SGD with momentum and the same cosine
// schedule, mini-batches of B gathered in a shuffled order, 1 thread by default.
//   ein_bench_torch_epoch [--epochs E] [--hidden H] [--batch B] [--threads T] [--data DIR]
// Prints one line per epoch: its training time, examples per second and the test
// accuracy. Layer: bench.
#include <ATen/Parallel.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <ein/data/fashion_mnist.hpp>

int main(int argc, char** argv) {
  int epochs = 3, threads = 1;
  std::int64_t hidden = 256, batch = 128;
  std::string dir = ein::data::default_fashion_mnist_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--epochs") epochs = std::atoi(argv[i + 1]);
    else if (arg == "--hidden") hidden = std::atol(argv[i + 1]);
    else if (arg == "--batch") batch = std::atol(argv[i + 1]);
    else if (arg == "--threads") threads = std::atoi(argv[i + 1]);
    else if (arg == "--data") dir = argv[i + 1];
  }
  at::set_num_threads(threads);
  const ein::data::FashionMnist data = ein::data::load_fashion_mnist(dir);
  const auto as_torch = [](const ein::data::Split& s) {
    torch::Tensor x = torch::from_blob(const_cast<float*>(s.images.data()), {s.size(), s.images.extent(1)}, torch::kFloat).clone();
    std::vector<std::int64_t> labels(s.labels.begin(), s.labels.end());
    return std::pair{x, torch::from_blob(labels.data(), {s.size()}, torch::kLong).clone()};
  };
  const auto [train_x, train_y] = as_torch(data.train);
  const auto [test_x, test_y] = as_torch(data.test);
  const std::int64_t n = train_x.size(0), inputs = train_x.size(1), classes = 10;

  torch::manual_seed(1);
  // Kaiming uniform as examples/mlp (gain sqrt(2) before the ReLU, 1 after); biases zero.
  const auto uniform = [](std::int64_t rows, std::int64_t cols, double gain) {
    const double bound = gain * std::sqrt(3.0 / double(cols));
    return (torch::rand({rows, cols}) * 2 - 1).mul_(bound).requires_grad_();
  };
  torch::Tensor w1 = uniform(hidden, inputs, std::sqrt(2.0)), w2 = uniform(classes, hidden, 1.0);
  torch::Tensor b1 = torch::zeros({hidden}).requires_grad_(), b2 = torch::zeros({classes}).requires_grad_();
  const double lr = 0.05;
  torch::optim::SGD opt({w1, b1, w2, b2}, torch::optim::SGDOptions(lr).momentum(0.9));
  const auto logits = [&](const torch::Tensor& x) {
    const torch::Tensor h = torch::relu(torch::einsum("ij,lj->li", {w1, x}) + b1);
    return torch::einsum("ij,lj->li", {w2, h}) + b2;
  };

  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 shuffler(1);
  const std::int64_t steps = (n + batch - 1) / batch;
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffler() % i]);
    const torch::Tensor index = torch::from_blob(order.data(), {n}, torch::kLong);
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t s = 0; s < steps; ++s) {
      const std::int64_t first = s * batch, count = std::min(batch, n - first);
      const torch::Tensor rows = index.slice(0, first, first + count);
      const torch::Tensor x = train_x.index_select(0, rows), y = train_y.index_select(0, rows);
      const double rate = 0.5 * lr * (1 + std::cos(std::numbers::pi * double(step) / double(steps * epochs)));
      for (auto& group : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
      opt.zero_grad();
      torch::nn::functional::cross_entropy(logits(x), y).backward();
      opt.step();
      ++step;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    torch::NoGradGuard no_grad;
    const double accuracy = logits(test_x).argmax(1).eq(test_y).to(torch::kDouble).mean().item<double>();
    std::printf("torch epoch %2d/%d  %5.2f s  %6.0f samples/s  test %5.2f%%\n", epoch, epochs, seconds,
                double(n) / seconds, 100 * accuracy);
  }
  return 0;
}
