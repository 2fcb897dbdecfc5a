// libtorch baseline: torch::einsum (it is at::einsum; ATen's header is enough and
// compiles far faster than <torch/torch.h>) on at::from_blob views of the same
// operands, CPU, under InferenceMode (no autograd bookkeeping). It returns a new
// tensor each call: that allocation is part of what torch::einsum costs.
// Threads: at::set_num_threads, with every other library's. Layer: bench.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <algorithm>
#include <string>

#include "suite.hpp"

namespace bench {
namespace {

template <class T>
std::optional<Runner> torch_einsum(const Case& c, Operands<T>& ops, int) {
  const auto dtype = sizeof(T) == 4 ? at::kFloat : at::kDouble;
  std::vector<at::Tensor> in;
  for (std::size_t i = 0; i < ops.in.size(); ++i) {
    std::vector<int64_t> sizes(c.inputs[i].begin(), c.inputs[i].end());
    in.push_back(at::from_blob(ops.in[i].data(), sizes, at::TensorOptions().dtype(dtype)));
  }
  auto result = std::make_shared<at::Tensor>();
  const std::string spec = c.spec;
  T* out = ops.out.data();
  const std::size_t n = ops.out.size();
  return Runner{[in, result, spec] {
                  c10::InferenceMode guard;
                  *result = at::einsum(spec, in);
                },
                [result, out, n] {
                  const at::Tensor r = result->contiguous();
                  std::copy_n(r.data_ptr<T>(), n, out);
                }};
}

}  // namespace

void add_torch_impls() {
  add_thread_hook([](int threads) { at::set_num_threads(threads); });
  impls().push_back({"torch", Factory<float>(&torch_einsum<float>), Factory<double>(&torch_einsum<double>)});
}

std::string torch_description() {
  // get_parallel_info() is several lines; keep the one naming ATen's parallel backend.
  const std::string info = at::get_parallel_info();
  const auto at_line = info.find("parallel backend");
  std::string backend = at_line == std::string::npos ? "" : info.substr(at_line, info.find('\n', at_line) - at_line);
  return std::string("libtorch ") + TORCH_VERSION + " (" + backend + ")";
}

}  // namespace bench
