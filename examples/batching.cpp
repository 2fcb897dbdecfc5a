// The lecture's batching demo: one SGD step of the MLP 784-H-10 computed two ways,
//   (a) one example at a time, a = einsum<"ij,j->i">(W1, x), each example's loss
//       (scaled by 1/N) back-propagated on its own, the gradients adding up in the
//       parameters over the mini-batch;
//   (b) batched, a = einsum<"ij,lj->li">(W1, X), the mean loss back-propagated once.
// Both give the same gradients (checked: relative difference at most 1e-5 in float),
// so the same step; (b) is faster because N matrix-vector products become one
// matrix product (one GEMM reads W1 once for the whole batch, not once per example).
// Prints the time per example of each for N = 1, 2, 4, ..., --max, and plots them
// with gnuplot (gnuplot-nox) when --plot FILE is given.
//
//   batching [--max N] [--hidden H] [--rounds R] [--plot FILE.png]
//
// Exit status 1 when the two ways' gradients differ. Host device (ein::Host).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <ein/autodiff.hpp>

namespace {

using ein::index_t;
constexpr index_t inputs = 784, classes = 10;

struct Options {
  index_t max_batch = 1024, hidden = 256;
  int rounds = 5;
  std::string plot;
};

ein::Tensor<float, 2> random_matrix(index_t rows, index_t cols, std::mt19937& gen, float scale) {
  std::normal_distribution<float> normal(0.f, scale);
  ein::Tensor<float, 2> t(rows, cols);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = normal(gen);
  return t;
}

/// Row r of a matrix as a vector.
ein::Tensor<float, 1> row(const ein::Tensor<float, 2>& m, index_t r) {
  ein::Tensor<float, 1> v(m.extent(1));
  std::copy_n(m.data() + r * m.extent(1), m.extent(1), v.data());
  return v;
}

struct Mlp {
  ein::Var<float, 2> w1, w2;
  ein::Var<float, 1> b1, b2;

  Mlp(index_t hidden, std::mt19937& gen)
      : w1(ein::param(random_matrix(hidden, inputs, gen, 0.05f))),
        w2(ein::param(random_matrix(classes, hidden, gen, 0.1f))),
        b1(ein::param(ein::Tensor<float, 1>(hidden))),
        b2(ein::param(ein::Tensor<float, 1>(classes))) {}

  void zero_grad() const {
    for (const auto& w : {w1, w2}) w.zero_grad();
    for (const auto& b : {b1, b2}) b.zero_grad();
  }

  /// (a) Example by example: each one's share of the mean loss, back-propagated alone.
  void gradients_one_by_one(const std::vector<ein::Tensor<float, 1>>& xs, const std::vector<int>& ys) const {
    const float share = 1.0f / static_cast<float>(xs.size());
    for (std::size_t l = 0; l < xs.size(); ++l) {
      const auto x = ein::constant(xs[l]);
      const auto a = ein::einsum<"ij,j->i">(w1, x) + b1;
      const auto h = ein::relu(a);
      const auto o = ein::einsum<"ij,j->i">(w2, h) + b2;
      ein::Tensor<float, 1> onehot(classes);
      onehot(ys[l]) = -share;
      ein::einsum<"i,i->">(ein::log_softmax(o, 0), ein::constant(std::move(onehot))).backward();
    }
  }

  /// (b) Batched: the mean loss over the rows of X, back-propagated once.
  void gradients_batched(const ein::Var<float, 2>& x, const std::vector<int>& ys) const {
    const auto a = ein::einsum<"ij,lj->li">(w1, x) + b1;
    const auto h = ein::relu(a);
    const auto o = ein::einsum<"ij,lj->li">(w2, h) + b2;
    ein::cross_entropy(o, ys).backward();
  }

  [[nodiscard]] std::vector<float> gradients() const {
    std::vector<float> all;
    for (const auto* g : {&w1.grad(), &w2.grad()}) all.insert(all.end(), g->data(), g->data() + g->size());
    for (const auto* g : {&b1.grad(), &b2.grad()}) all.insert(all.end(), g->data(), g->data() + g->size());
    return all;
  }
};

/// ||a - b|| / ||b||.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, norm = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    diff += (double(a[k]) - double(b[k])) * (double(a[k]) - double(b[k]));
    norm += double(b[k]) * double(b[k]);
  }
  return std::sqrt(diff / norm);
}

template <class F>
double seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--max" && has_value) o.max_batch = std::atoll(argv[++i]);
    else if (arg == "--hidden" && has_value) o.hidden = std::atoll(argv[++i]);
    else if (arg == "--rounds" && has_value) o.rounds = std::atoi(argv[++i]);
    else if (arg == "--plot" && has_value) o.plot = argv[++i];
    else {
      std::fprintf(stderr, "usage: batching [--max N] [--hidden H] [--rounds R] [--plot FILE.png]\n");
      std::exit(2);
    }
  }
  if (o.max_batch < 1 || o.hidden < 1 || o.rounds < 1) {
    std::fprintf(stderr, "batching: --max, --hidden and --rounds must be positive\n");
    std::exit(2);
  }
  return o;
}

struct Row {
  index_t n;
  double one_by_one_us, batched_us, difference;
};

void plot(const std::vector<Row>& rows, const std::string& file, index_t hidden) {
  FILE* gp = popen("gnuplot", "w");
  if (gp == nullptr) {
    std::fprintf(stderr, "batching: --plot needs gnuplot (apt-get install gnuplot-nox)\n");
    return;
  }
  std::fprintf(gp,
               "set terminal pngcairo size 720,440\nset output '%s'\nset logscale xy 2\nset grid\nset key right center\n"
               "set xlabel 'mini-batch size N'\nset ylabel 'time per example (µs)'\n"
               "set title 'Forward and backward of the MLP 784-%lld-10 (float, host)'\n"
               "plot '-' with linespoints title 'one example at a time: einsum(\"ij,j->i\")', "
               "'-' with linespoints title 'batched: einsum(\"ij,lj->li\")'\n",
               file.c_str(), static_cast<long long>(hidden));
  for (const bool batched : {false, true}) {
    for (const Row& r : rows)
      std::fprintf(gp, "%lld %g\n", static_cast<long long>(r.n), batched ? r.batched_us : r.one_by_one_us);
    std::fprintf(gp, "e\n");
  }
  if (pclose(gp) != 0) std::fprintf(stderr, "batching: gnuplot failed; no plot written\n");
  else std::printf("plot: %s\n", file.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  std::mt19937 gen(5);
  const Mlp mlp(opt.hidden, gen);
  const ein::Tensor<float, 2> data = random_matrix(opt.max_batch, inputs, gen, 1.0f);
  std::vector<int> labels(static_cast<std::size_t>(opt.max_batch));
  for (auto& y : labels) y = static_cast<int>(gen() % classes);

  std::printf("MLP 784-%lld-10, float, host; median of %d rounds; time per example of forward + backward\n",
              static_cast<long long>(opt.hidden), opt.rounds);
  std::printf("%6s  %14s  %14s  %8s  %12s\n", "N", "one by one µs", "batched µs", "speedup", "grad diff");
  std::vector<Row> rows;
  bool agree = true;
  for (index_t n = 1; n <= opt.max_batch; n *= 2) {
    std::vector<ein::Tensor<float, 1>> xs;
    for (index_t r = 0; r < n; ++r) xs.push_back(row(data, r));
    ein::Tensor<float, 2> batch(n, inputs);
    std::copy_n(data.data(), n * inputs, batch.data());
    const auto x = ein::constant(std::move(batch));
    const std::vector<int> ys(labels.begin(), labels.begin() + n);

    mlp.zero_grad();
    mlp.gradients_one_by_one(xs, ys);
    const std::vector<float> by_example = mlp.gradients();
    mlp.zero_grad();
    mlp.gradients_batched(x, ys);
    const double difference = relative_difference(by_example, mlp.gradients());
    agree = agree && difference <= 1e-5;

    std::vector<double> one, all;
    for (int round = 0; round < opt.rounds; ++round) {  // alternated, so both see the same machine
      one.push_back(seconds([&] {
        mlp.zero_grad();
        mlp.gradients_one_by_one(xs, ys);
      }));
      all.push_back(seconds([&] {
        mlp.zero_grad();
        mlp.gradients_batched(x, ys);
      }));
    }
    const Row r{n, median(one) * 1e6 / double(n), median(all) * 1e6 / double(n), difference};
    rows.push_back(r);
    std::printf("%6lld  %14.2f  %14.2f  %7.1fx  %12.2e%s\n", static_cast<long long>(n), r.one_by_one_us, r.batched_us,
                r.one_by_one_us / r.batched_us, difference, difference <= 1e-5 ? "" : "  (differ!)");
  }
  if (!opt.plot.empty()) plot(rows, opt.plot, opt.hidden);
  std::printf(agree ? "gradients agree at every N\n" : "GRADIENTS DIFFER\n");
  return agree ? 0 : 1;
}
