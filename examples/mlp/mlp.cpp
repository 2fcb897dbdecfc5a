// The lecture's MLP on Fashion-MNIST, examples in rows, written with einsum:
//
//   h = relu(einsum<"ij,lj->li">(W1, X) + b1)     X [N,784], W1 [H,784], b1 [H]
//     (one layer: the bias and relu fold into the einsum, autodiff/einsum_node.hpp)
//   o = einsum<"ij,lj->li">(W2, h) + b2     W2 [10,H], b2 [10]
//   loss = cross_entropy(o, labels);  loss.backward();  optimizer step
//
// Mini-batches are shuffled with a seed; the run is deterministic for a given
// seed and thread count. Prints a progress bar (when stderr is a terminal) and
// a line per epoch; writes the curve to CSV and, when gnuplot is on PATH, a PNG.
// `mlp --help` lists the options.
//
// One model, one evaluate and one training loop, for a device D: `--device cuda`
// (when built with ein::cuda, EIN_MLP_CUDA) runs them on the GPU with the same
// initial weights and the same shuffled batches. ein::data::Batches<D> puts the
// data where D reads it (on the GPU: the data set copied once, each epoch's order
// once, batches gathered there) and ein::nn::RunningScore<D> keeps the running loss
// and accuracy there, so a step copies nothing between host and device.
//
// Under `mpirun -np K` (when built with ein::mpi, EIN_MLP_MPI) the same run is data
// parallel: every process draws the same order, takes its slice of each global
// mini-batch (ein::dist::slice_of) and of the test set, the gradients are averaged
// over the processes before each step (ein::dist::GradientAverager), and rank 0 prints.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <utility>
#include <vector>

#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <ein/autodiff.hpp>
#include <ein/data/batches.hpp>
#include <ein/data/fashion_mnist.hpp>
#ifdef EIN_MLP_CUDA
#include <ein/cuda.hpp>
#endif
#ifdef EIN_MLP_MPI
#include <ein/dist/mpi.hpp>
#else
#include <ein/dist/shard.hpp>
#endif

namespace {

using ein::index_t;
using Clock = std::chrono::steady_clock;

/// The processes of the run: one, or those of `mpirun -np K` (set in main).
struct Processes {
#ifdef EIN_MLP_MPI
  const ein::dist::Communicator* comm = nullptr;
  [[nodiscard]] int rank() const { return comm != nullptr ? comm->rank() : 0; }
  [[nodiscard]] int size() const { return comm != nullptr ? comm->size() : 1; }
  [[nodiscard]] double sum(double v) const { return size() > 1 ? comm->sum(v) : v; }
#else
  [[nodiscard]] static int rank() { return 0; }
  [[nodiscard]] static int size() { return 1; }
  [[nodiscard]] static double sum(double v) { return v; }
#endif
  [[nodiscard]] bool root() const { return rank() == 0; }
  /// A {loss sum, correct count} tally summed over the processes.
  [[nodiscard]] std::pair<double, index_t> total(std::pair<double, index_t> tally) const {
    return {sum(tally.first), static_cast<index_t>(sum(double(tally.second)))};
  }
} processes;

struct Options {
  std::filesystem::path data = ein::data::default_fashion_mnist_dir;
  int epochs = 3;
  index_t hidden = 256;
  index_t batch = 128;
  std::optional<double> lr;  // default per optimizer: 0.05 (SGD), 1e-3 (Adam)
  double momentum = 0.9;
  std::string optim = "sgd";
  bool cosine = true;  // learning rate schedule: cosine from lr to 0 over the run, else constant
  int threads = 1;
  std::uint32_t seed = 1;
  index_t limit = 0;  // 0: the whole training set
  bool normalize = true;
  std::string csv;
  std::string plot;
  std::string device = "cpu";
};

constexpr const char* usage_text = R"(usage: mlp [options]
Trains a 784-H-10 MLP (ReLU, cross-entropy) on Fashion-MNIST with ein.
  --data DIR        folder with the four IDX files (plain or .gz)
                    [/usr/share/datasets/fashion-mnist: apt-get install dataset-fashion-mnist]
  --epochs E        passes over the training set [3]
  --hidden H        hidden units [256]
  --batch N         mini-batch size [128]
  --optim sgd|adam  optimizer [sgd]
  --lr X            learning rate [sgd: 0.05, adam: 0.001]
  --momentum X      SGD momentum [0.9]
  --schedule S      cosine (from lr down to 0 over the run) or constant [cosine]
  --seed S          seed of the initial weights and of the shuffling [1]
  --threads T       threads (OpenMP); results depend on it [1]
  --device D        cpu, or cuda (the GPU; needs a build with ein::cuda) [cpu]
  --limit K         train on the first K examples only (a short run) [all]
  --no-normalize    pixels in [0, 1] instead of standardised
  --csv FILE        write the curve (10 points per epoch) as CSV
  --plot FILE.png   plot loss and accuracy with gnuplot (when on PATH)
  --help            this text
)";

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "mlp: %s\n%s", why.c_str(), usage_text);
  std::exit(2);
}

std::string plain(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    }
    if (arg == "--no-normalize") {
      o.normalize = false;
      continue;
    }
    if (i + 1 >= argc) usage_error("option " + std::string(arg) + " needs a value");
    const std::string value = argv[++i];
    const auto number = [&](double low, double high) {
      char* end = nullptr;
      const double v = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(v >= low && v <= high))
        usage_error(std::string(arg) + " " + value + ": expected a number from " + plain(low) + " to " + plain(high));
      return v;
    };
    const auto integer = [&](double low, double high) {
      const double v = number(low, high);
      if (v != std::floor(v)) usage_error(std::string(arg) + " " + value + ": expected a whole number");
      return static_cast<std::int64_t>(v);
    };
    if (arg == "--data") o.data = value;
    else if (arg == "--epochs") o.epochs = static_cast<int>(integer(1, 10000));
    else if (arg == "--hidden") o.hidden = integer(1, 1 << 16);
    else if (arg == "--batch") o.batch = integer(1, 1 << 20);
    else if (arg == "--lr") o.lr = number(0, 100);
    else if (arg == "--momentum") o.momentum = number(0, 1);
    else if (arg == "--seed") o.seed = static_cast<std::uint32_t>(integer(0, 4294967295.0));
    else if (arg == "--threads") o.threads = static_cast<int>(integer(1, 1024));
    else if (arg == "--limit") o.limit = integer(1, 1e9);
    else if (arg == "--csv") o.csv = value;
    else if (arg == "--plot") o.plot = value;
#ifndef EIN_MLP_CUDA
    else if (arg == "--device" && value == "cuda")
      usage_error("--device cuda: this mlp was built without ein::cuda (configure with the CUDA toolkit and EIN_ENABLE_CUDA=ON)");
#endif
    else if (arg == "--schedule") {
      if (value != "cosine" && value != "constant") usage_error("--schedule " + value + ": expected cosine or constant");
      o.cosine = value == "cosine";
    } else if (arg == "--device") {
      if (value != "cpu" && value != "cuda") usage_error("--device " + value + ": expected cpu or cuda");
      o.device = value;
    } else if (arg == "--optim") {
      if (value != "sgd" && value != "adam") usage_error("--optim " + value + ": expected sgd or adam");
      o.optim = value;
    } else {
      usage_error("unknown option " + std::string(arg));
    }
  }
  return o;
}

/// The two layers, on device D (ein::Host, or ein::cuda::Device). Weights: Kaiming
/// uniform from the seed (gain sqrt(2) for the layer before the ReLU, 1 for the
/// output layer), drawn on the host so that a seed gives the same model on every
/// device; biases zero.
template <class D>
struct Mlp {
  ein::Var<float, 2, D> W1, W2;
  ein::Var<float, 1, D> b1, b2;

  Mlp(index_t inputs, index_t hidden, index_t classes, std::uint32_t seed)
      : W1(ein::param(ein::to<D>(ein::Tensor<float, 2>(hidden, inputs)))),
        W2(ein::param(ein::to<D>(ein::Tensor<float, 2>(classes, hidden)))),
        b1(ein::param(ein::to<D>(ein::Tensor<float, 1>(hidden)))),
        b2(ein::param(ein::to<D>(ein::Tensor<float, 1>(classes)))) {
    std::mt19937 gen(seed);
    ein::nn::kaiming_uniform(W1, gen, {.nonlinearity = ein::nn::Nonlinearity::relu});
    ein::nn::kaiming_uniform(W2, gen, {.nonlinearity = ein::nn::Nonlinearity::linear});
  }

  /// Logits [N, 10] of X [N, 784].
  [[nodiscard]] ein::Var<float, 2, D> operator()(const ein::Var<float, 2, D>& X) const {
    const auto h = ein::relu(ein::einsum<"ij,lj->li">(W1, X) + b1);  // (on the host, one fused layer)
    return ein::einsum<"ij,lj->li">(W2, h) + b2;
  }
};

struct Score {
  double loss = 0, accuracy = 0;
};

/// Mean loss and accuracy over a whole split, without recording anything (each
/// process over its slice, summed).
template <class D>
Score evaluate(const Mlp<D>& model, const ein::data::Batches<D>& s) {
  const ein::no_grad guard;
  constexpr index_t chunk = 1000;
  const ein::dist::Slice mine = ein::dist::slice_of(s.size(), processes.rank(), processes.size());
  ein::nn::RunningScore<D> tally;
  for (index_t first = mine.first; first < mine.first + mine.size; first += chunk) {
    auto [x, y] = s.batch(first, std::min(chunk, mine.first + mine.size - first));
    const auto logits = model(ein::constant(std::move(x)));
    tally.add(logits, y, ein::cross_entropy(logits, y));
  }
  const auto [loss, correct] = processes.total(tally.read());
  return {loss / double(s.size()), double(correct) / double(s.size())};
}

/// A permutation of [0, n) from the generator, the same on every platform
/// (std::shuffle and std::uniform_int_distribution are not specified exactly).
void shuffle(std::vector<index_t>& order, std::mt19937_64& gen) {
  for (std::size_t i = order.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(gen() % i);
    std::swap(order[i - 1], order[j]);
  }
}

/// A one-line progress bar on stderr, redrawn in place (only on a terminal).
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  /// Whether draw() would redraw now (the device loop reads its running loss only then).
  [[nodiscard]] bool due(index_t done, index_t total) const {
    return enabled_ && (done >= total || Clock::now() - last_ >= std::chrono::milliseconds(100));
  }
  void draw(int epoch, int epochs, index_t done, index_t total, double loss, double accuracy, double seconds) {
    if (!due(done, total)) return;
    const auto now = Clock::now();
    last_ = now;
    constexpr int width = 28;
    const int filled = static_cast<int>(width * done / std::max<index_t>(total, 1));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r  epoch %d/%d [%s] %3d%%  loss %.4f  acc %5.1f%%  %6.0f samples/s ", epoch, epochs,
                 bar.c_str(), static_cast<int>(100 * done / std::max<index_t>(total, 1)), loss, 100 * accuracy,
                 seconds > 0 ? double(done) / seconds : 0.0);
    std::fflush(stderr);
  }
  void clear() {
    if (enabled_) std::fprintf(stderr, "\r%*s\r", 100, "");
  }

 private:
  bool enabled_;
  Clock::time_point last_{};
};

/// One point of the curve: training loss and accuracy since the previous point;
/// test loss and accuracy at the end of each epoch only.
struct Point {
  double epoch;
  index_t step;
  double train_loss, train_accuracy;
  std::optional<Score> test;
  double seconds, samples_per_second;
};

void write_csv(const std::string& path, const std::vector<Point>& curve) {
  std::ofstream out(path);
  out << "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,seconds,samples_per_second\n";
  char line[256];
  for (const Point& p : curve) {
    std::snprintf(line, sizeof line, "%.3f,%ld,%.6f,%.6f,", p.epoch, static_cast<long>(p.step), p.train_loss,
                  p.train_accuracy);
    out << line;
    if (p.test) {
      std::snprintf(line, sizeof line, "%.6f,%.6f", p.test->loss, p.test->accuracy);
      out << line;
    } else {
      out << ",";
    }
    std::snprintf(line, sizeof line, ",%.3f,%.1f\n", p.seconds, p.samples_per_second);
    out << line;
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool on_path(const char* program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string_view rest = path;
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::filesystem::path dir(std::string(rest.substr(0, colon)));
    if (::access((dir / program).c_str(), X_OK) == 0) return true;
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return false;
}

/// Loss (left) and accuracy (right) against epochs, through gnuplot's pngcairo.
bool write_plot(const std::string& png, const std::vector<Point>& curve, const std::string& title) {
  if (!on_path("gnuplot")) {
    std::fprintf(stderr, "mlp: gnuplot is not on PATH (apt-get install gnuplot-nox): no plot written\n");
    return false;
  }
  std::string script = "$train << EOD\n";
  char line[160];
  for (const Point& p : curve) {
    std::snprintf(line, sizeof line, "%.3f %.6f %.4f\n", p.epoch, p.train_loss, 100 * p.train_accuracy);
    script += line;
  }
  script += "EOD\n$test << EOD\n0 NaN NaN\n";
  for (const Point& p : curve)
    if (p.test) {
      std::snprintf(line, sizeof line, "%.3f %.6f %.4f\n", p.epoch, p.test->loss, 100 * p.test->accuracy);
      script += line;
    }
  script += "EOD\n";
  script += "set terminal pngcairo size 1100,420 font 'sans,10'\nset output '" + png + "'\n";
  script += "set multiplot layout 1,2 title '" + title + "'\n";
  std::snprintf(line, sizeof line, "set xrange [0:%g]\n", 1.03 * curve.back().epoch);  // room for the last point
  script += line;
  script += "set grid\nset key top right\nset xlabel 'epoch'\nset offsets 0, 0, graph 0.05, graph 0.05\n";
  script += "set ylabel 'cross-entropy loss'\n";
  script += "plot $train using 1:2 with lines lw 2 title 'train (running)', "
            "$test using 1:2 with linespoints lw 2 pt 7 title 'test'\n";
  script += "set key bottom right\nset ylabel 'accuracy (%)'\n";
  script += "plot $train using 1:3 with lines lw 2 title 'train (running)', "
            "$test using 1:3 with linespoints lw 2 pt 7 title 'test'\n";
  script += "unset multiplot\n";
  FILE* gp = ::popen("gnuplot", "w");
  if (!gp) return false;
  std::fwrite(script.data(), 1, script.size(), gp);
  return ::pclose(gp) == 0;
}

/// The training run on device D: the same initial weights and the same batches in
/// the same order on every device; progress, the curve and each epoch's line read
/// the running loss and accuracy back only when they print.
template <class D>
std::vector<Point> train(const Options& o, const ein::data::FashionMnist& data, index_t train_n, double lr) {
  const auto t_copy = Clock::now();
  ein::data::Batches<D> train(data.train.images, data.train.labels);
  ein::data::Batches<D> test(data.test.images, data.test.labels);
  if (processes.root() && !std::is_same_v<D, ein::Host>)
    std::printf("data set copied to the device in %.2f s\n", std::chrono::duration<double>(Clock::now() - t_copy).count());
  Mlp<D> model(data.train.images.extent(1), o.hidden, 10, o.seed);
  using Optimizer = std::variant<ein::optim::SGD, ein::optim::Adam>;
  const std::vector<ein::optim::Parameter> params{model.W1, model.b1, model.W2, model.b2};
  Optimizer optimizer = o.optim == "adam"
                            ? Optimizer(std::in_place_type<ein::optim::Adam>, params, ein::optim::AdamOptions{.lr = lr})
                            : Optimizer(std::in_place_type<ein::optim::SGD>, params,
                                        ein::optim::SGDOptions{.lr = lr, .momentum = o.momentum});
#ifdef EIN_MLP_MPI
  std::optional<ein::dist::GradientAverager> averager;  // (more than one process: rank 0's weights, averaged gradients)
  if (processes.size() > 1) {
    ein::dist::broadcast_parameters(*processes.comm, params);
    averager.emplace(*processes.comm, params);
  }
#endif

  std::vector<index_t> order(static_cast<std::size_t>(train_n));
  std::iota(order.begin(), order.end(), index_t(0));
  std::mt19937_64 shuffler(o.seed);
  Progress progress(processes.root() && ::isatty(STDERR_FILENO) != 0);
  std::vector<Point> curve;
  const index_t steps = (train_n + o.batch - 1) / o.batch;
  index_t step = 0;
  double train_seconds = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    shuffle(order, shuffler);
    train.set_order(order);
    const auto start = Clock::now();
    ein::nn::RunningScore<D> tally;
    double window_start_loss = 0;
    index_t window_start_correct = 0, window_start = 0, local_done = 0;
    int next_point = 1;
    for (index_t s = 0; s < steps; ++s) {
      const index_t first = s * o.batch, n = std::min(o.batch, train_n - first);
      const ein::dist::Slice mine = ein::dist::slice_of(n, processes.rank(), processes.size());  // (all of it alone)
      auto [x, y] = train.batch(first + mine.first, mine.size);
      const auto logits = model(ein::constant(std::move(x)));
      const auto loss = ein::cross_entropy(logits, y);
      const double rate =
          o.cosine ? 0.5 * lr * (1 + std::cos(std::numbers::pi * double(step) / double(steps * o.epochs))) : lr;
      std::visit([&](auto& opt) { opt.options().lr = rate; opt.zero_grad(); }, optimizer);
      loss.backward();
#ifdef EIN_MLP_MPI
      if (averager) averager->average(double(mine.size));  // (weighted: the slices may differ by one)
#endif
      std::visit([](auto& opt) { opt.step(); }, optimizer);
      tally.add(logits, y, loss);
      ++step;
      local_done += mine.size;

      const index_t done = first + n;
      const bool point = done * 10 >= train_n * next_point;  // ten points per epoch for the curve
      if (!point && !progress.due(done, train_n)) continue;
      const auto [local_loss, local_correct] = tally.read();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      // (the bar: rank 0's own share; the curve: every process's, summed)
      progress.draw(epoch, o.epochs, done, train_n, local_loss / double(local_done),
                    double(local_correct) / double(local_done), seconds);
      if (point) {
        const auto [epoch_loss, epoch_correct] = processes.total({local_loss, local_correct});
        while (done * 10 >= train_n * next_point) ++next_point;
        const index_t window_n = done - window_start;
        curve.push_back({epoch - 1 + double(done) / double(train_n), step,
                         (epoch_loss - window_start_loss) / double(window_n),
                         double(epoch_correct - window_start_correct) / double(window_n), std::nullopt,
                         train_seconds + seconds, double(done) / seconds});
        window_start_loss = epoch_loss;
        window_start_correct = epoch_correct;
        window_start = done;
      }
    }
    const auto local = tally.read();  // (waits for the device's queued steps)
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    train_seconds += seconds;
    progress.clear();
    const auto [epoch_loss, epoch_correct] = processes.total(local);
    const Score score = evaluate(model, test);
    curve.back().test = score;
    if (processes.root())
      std::printf("epoch %2d/%d  loss %.4f  train %5.2f%%  test %5.2f%% (loss %.4f)  %5.1f s  %6.0f samples/s\n", epoch,
                o.epochs, epoch_loss / double(train_n), 100.0 * double(epoch_correct) / double(train_n),
                100 * score.accuracy, score.loss, seconds, double(train_n) / seconds);
    std::fflush(stdout);
  }
  if (processes.root())
    std::printf("trained %ld steps in %.1f s; test accuracy %.2f%%\n", static_cast<long>(step), train_seconds,
                100 * curve.back().test->accuracy);
  return curve;
}

int run(const Options& o) {
#ifdef EIN_MLP_CUDA
  if (o.device == "cuda" && !ein::cuda::device_available()) {
    std::printf("SKIPPED: no CUDA device (mlp --device cuda needs one)\n");
    return 77;
  }
#endif
  Eigen::setNbThreads(o.threads);
#ifdef _OPENMP
  omp_set_num_threads(o.threads);
#endif
  const auto t_load = Clock::now();
  ein::data::FashionMnist data;
  try {
    data = ein::data::load_fashion_mnist(o.data, {.normalize = o.normalize});
  } catch (const ein::data::data_error& e) {
    std::fprintf(stderr, "mlp: %s\n  (pass that folder with --data DIR)\n", e.what());
    return 1;
  }
  const double load_seconds = std::chrono::duration<double>(Clock::now() - t_load).count();
  const index_t train_n = o.limit > 0 ? std::min(o.limit, data.train.size()) : data.train.size();
  const index_t inputs = data.train.images.extent(1), classes = 10;
  const double lr = o.lr.value_or(o.optim == "adam" ? 1e-3 : 0.05);

  const index_t last = train_n % o.batch;
  if (last > 0 && last < processes.size())
    throw std::invalid_argument("the last mini-batch (" + std::to_string(last) + " examples) has fewer than the " +
                                std::to_string(processes.size()) + " processes: choose --batch or --limit to avoid it");
  const int threads = Eigen::nbThreads();
  if (processes.root()) {
    std::printf("Fashion-MNIST from %s (%.1f s): %ld training examples%s, %ld test; pixels %s\n",
              o.data.string().c_str(), load_seconds, static_cast<long>(train_n),
              train_n < data.train.size() ? " (--limit)" : "", static_cast<long>(data.test.size()),
              o.normalize ? "standardised" : "in [0, 1]");
  std::printf("MLP 784-%ld-10 (%ld parameters), batch %ld, %s lr %g%s%s, seed %u, %d thread%s, on the %s\n",
              static_cast<long>(o.hidden), static_cast<long>(o.hidden * (inputs + 1) + classes * (o.hidden + 1)),
              static_cast<long>(o.batch), o.optim == "adam" ? "Adam" : "SGD", lr,
              o.optim == "adam" ? "" : (" momentum " + plain(o.momentum)).c_str(),
              o.cosine ? " (cosine schedule)" : "", o.seed, threads, threads == 1 ? "" : "s",
              o.device == "cpu" ? "CPU" : "GPU");
    if (processes.size() > 1)
      std::printf("data parallel over %d processes: each takes its slice of every mini-batch\n", processes.size());
    std::fflush(stdout);
  }

  std::vector<Point> curve;
#ifdef EIN_MLP_CUDA
  if (o.device == "cuda") curve = train<ein::cuda::Device>(o, data, train_n, lr);
#endif
  if (o.device == "cpu") curve = train<ein::Host>(o, data, train_n, lr);

  if (!processes.root()) return 0;
  if (!o.csv.empty()) {
    write_csv(o.csv, curve);
    std::printf("curve written to %s\n", o.csv.c_str());
  }
  if (!o.plot.empty()) {
    char title[160];
    std::snprintf(title, sizeof title, "ein MLP 784-%ld-10 on Fashion-MNIST, %s lr %g%s, batch %ld",
                  static_cast<long>(o.hidden), o.optim == "adam" ? "Adam" : "SGD", lr,
                  o.cosine ? " (cosine)" : "", static_cast<long>(o.batch));
    if (write_plot(o.plot, curve, title)) std::printf("plot written to %s\n", o.plot.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef EIN_MLP_MPI
  // (MPI only under mpirun: started alone, mlp is one process and skips MPI's start-up)
  std::optional<ein::dist::Communicator> comm;
  if (ein::dist::launched_by_mpi()) processes.comm = &comm.emplace(&argc, &argv);
#endif
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlp: %s\n", e.what());
#ifdef EIN_MLP_MPI
    if (processes.size() > 1) comm->abort(1);  // (the other processes may wait for this one)
#endif
    return 1;
  }
}
