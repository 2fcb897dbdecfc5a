// Seeded weight initialisers, as PyTorch's torch.nn.init: uniform, normal,
// kaiming_uniform, kaiming_normal, xavier_uniform, xavier_normal. Each fills a
// Tensor (or a Var's value) from a std::mt19937 or a seed. Layer: nn.
//
// Deterministic everywhere: std::mt19937's output is fixed by the standard, but
// std::uniform_real_distribution and std::normal_distribution are not (libstdc++,
// libc++ and MSVC give different numbers), so the numbers are made here: 53-bit
// uniforms (two 32-bit draws, as genrand_res53) and Box-Muller normals.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>

#include "ein/autodiff/var.hpp"

namespace ein::nn {

/// Where the numbers come from: the caller's std::mt19937 (advanced), or a seed
/// (a fresh std::mt19937 seeded with it). Pass either: `kaiming_uniform(w, gen)`
/// or `kaiming_uniform(w, 42)`.
class RandomSource {
 public:
  RandomSource(std::mt19937& gen) : gen_(&gen) {}                   // NOLINT: implicit by design
  RandomSource(std::uint32_t seed) : own_(seed), gen_(&own_) {}      // NOLINT: implicit by design
  RandomSource(const RandomSource&) = delete;
  RandomSource& operator=(const RandomSource&) = delete;

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() {
    // std::mt19937's result_type may be wider than 32 bits; its values are not.
    const auto a = static_cast<std::uint32_t>((*gen_)() >> 5), b = static_cast<std::uint32_t>((*gen_)() >> 6);
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }
  /// Standard normal (Box-Muller, one value per two uniforms).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: the log stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937 own_;
  std::mt19937* gen_;
};

/// A non-linearity, for calculate_gain.
enum class Nonlinearity { linear, sigmoid, tanh, relu, leaky_relu, selu };
/// Which fan kaiming initialisers scale by.
enum class FanMode { fan_in, fan_out };

/// PyTorch's recommended gain: 1 for linear and sigmoid, 5/3 for tanh, sqrt(2)
/// for relu, sqrt(2 / (1 + slope^2)) for leaky_relu with negative slope `param`,
/// 3/4 for selu.
inline double calculate_gain(Nonlinearity nonlinearity, double param = 0.01) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::tanh: return 5.0 / 3.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::selu: return 0.75;
  }
  return 1.0;
}

/// fan_in and fan_out of a weight [out, in, k...]: in * k... and out * k... (the
/// product of the trailing extents is the receptive field, 1 for rank 2).
struct Fans {
  index_t fan_in = 0, fan_out = 0;
};
template <class T, std::size_t R>
  requires(R >= 2)
Fans fans(const Tensor<T, R>& w) {
  index_t receptive = 1;
  for (std::size_t d = 2; d < R; ++d) receptive *= w.extent(d);
  return {w.extent(1) * receptive, w.extent(0) * receptive};
}

struct KaimingOptions {
  double a = 0;  ///< negative slope of the leaky_relu that follows
  FanMode mode = FanMode::fan_in;
  Nonlinearity nonlinearity = Nonlinearity::leaky_relu;
};

}  // namespace ein::nn

namespace ein::detail {
template <class T, std::size_t R>
void fill_uniform(Tensor<T, R>& w, nn::RandomSource& rng, double low, double high) {
  T* x = w.data();
  for (index_t k = 0, n = w.size(); k < n; ++k) x[k] = static_cast<T>(low + (high - low) * rng.uniform());
}
template <class T, std::size_t R>
void fill_normal(Tensor<T, R>& w, nn::RandomSource& rng, double mean, double std) {
  T* x = w.data();
  for (index_t k = 0, n = w.size(); k < n; ++k) x[k] = static_cast<T>(mean + std * rng.normal());
}
template <class T, std::size_t R>
double kaiming_std(const Tensor<T, R>& w, const nn::KaimingOptions& o) {
  const nn::Fans f = nn::fans(w);
  const index_t fan = o.mode == nn::FanMode::fan_in ? f.fan_in : f.fan_out;
  if (fan == 0) throw shape_error("kaiming init: a zero fan for extents " + to_string(w.extents()));
  return nn::calculate_gain(o.nonlinearity, o.a) / std::sqrt(static_cast<double>(fan));
}
template <class T, std::size_t R>
double xavier_std(const Tensor<T, R>& w, double gain) {
  const nn::Fans f = nn::fans(w);
  if (f.fan_in + f.fan_out == 0) throw shape_error("xavier init: zero fans for extents " + to_string(w.extents()));
  return gain * std::sqrt(2.0 / static_cast<double>(f.fan_in + f.fan_out));
}
template <class T, std::size_t R>
void fill_kaiming_uniform(Tensor<T, R>& w, nn::RandomSource& rng, const nn::KaimingOptions& o) {
  const double bound = std::sqrt(3.0) * kaiming_std(w, o);
  fill_uniform(w, rng, -bound, bound);
}
template <class T, std::size_t R>
void fill_xavier_uniform(Tensor<T, R>& w, nn::RandomSource& rng, double gain) {
  const double bound = std::sqrt(3.0) * xavier_std(w, gain);
  fill_uniform(w, rng, -bound, bound);
}
}  // namespace ein::detail

namespace ein::nn {

/// Fills w with U(low, high).
template <std::floating_point T, std::size_t R>
void uniform(Tensor<T, R>& w, RandomSource rng, double low = 0.0, double high = 1.0) {
  detail::fill_uniform(w, rng, low, high);
}
/// Fills w with N(mean, std^2).
template <std::floating_point T, std::size_t R>
void normal(Tensor<T, R>& w, RandomSource rng, double mean = 0.0, double std = 1.0) {
  detail::fill_normal(w, rng, mean, std);
}
/// Kaiming (He) uniform: U(-b, b) with b = gain * sqrt(3 / fan), fan and gain
/// from the options (default: fan_in, leaky_relu with a = 0, i.e. gain sqrt(2)).
template <std::floating_point T, std::size_t R>
  requires(R >= 2)
void kaiming_uniform(Tensor<T, R>& w, RandomSource rng, KaimingOptions options = {}) {
  detail::fill_kaiming_uniform(w, rng, options);
}
/// Kaiming (He) normal: N(0, s^2) with s = gain / sqrt(fan).
template <std::floating_point T, std::size_t R>
  requires(R >= 2)
void kaiming_normal(Tensor<T, R>& w, RandomSource rng, KaimingOptions options = {}) {
  detail::fill_normal(w, rng, 0.0, detail::kaiming_std(w, options));
}
/// Xavier (Glorot) uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
template <std::floating_point T, std::size_t R>
  requires(R >= 2)
void xavier_uniform(Tensor<T, R>& w, RandomSource rng, double gain = 1.0) {
  detail::fill_xavier_uniform(w, rng, gain);
}
/// Xavier (Glorot) normal: N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).
template <std::floating_point T, std::size_t R>
  requires(R >= 2)
void xavier_normal(Tensor<T, R>& w, RandomSource rng, double gain = 1.0) {
  detail::fill_normal(w, rng, 0.0, detail::xavier_std(w, gain));
}

// The same on a Var of any device: fills its value (a parameter, before training),
// drawn on the host and copied to the Var's device, so a seed gives the same
// weights on every device.
namespace detail {
template <class T, std::size_t R, class D, class Fill>
void fill_var(const Var<T, R, D>& w, Fill fill) {
  if constexpr (std::is_same_v<D, Host>) {
    fill(w.mutable_value());
  } else {
    Tensor<T, R> host(w.extents());
    fill(host);
    w.mutable_value() = D::from_host(host);
  }
}
}  // namespace detail

template <std::floating_point T, std::size_t R, class D>
void uniform(const Var<T, R, D>& w, RandomSource rng, double low = 0.0, double high = 1.0) {
  detail::fill_var(w, [&](Tensor<T, R>& t) { ein::detail::fill_uniform(t, rng, low, high); });
}
template <std::floating_point T, std::size_t R, class D>
void normal(const Var<T, R, D>& w, RandomSource rng, double mean = 0.0, double std = 1.0) {
  detail::fill_var(w, [&](Tensor<T, R>& t) { ein::detail::fill_normal(t, rng, mean, std); });
}
template <std::floating_point T, std::size_t R, class D>
  requires(R >= 2)
void kaiming_uniform(const Var<T, R, D>& w, RandomSource rng, KaimingOptions options = {}) {
  detail::fill_var(w, [&](Tensor<T, R>& t) { ein::detail::fill_kaiming_uniform(t, rng, options); });
}
template <std::floating_point T, std::size_t R, class D>
  requires(R >= 2)
void kaiming_normal(const Var<T, R, D>& w, RandomSource rng, KaimingOptions options = {}) {
  detail::fill_var(w, [&](Tensor<T, R>& t) { ein::detail::fill_normal(t, rng, 0.0, ein::detail::kaiming_std(t, options)); });
}
template <std::floating_point T, std::size_t R, class D>
  requires(R >= 2)
void xavier_uniform(const Var<T, R, D>& w, RandomSource rng, double gain = 1.0) {
  detail::fill_var(w, [&](Tensor<T, R>& t) { ein::detail::fill_xavier_uniform(t, rng, gain); });
}
template <std::floating_point T, std::size_t R, class D>
  requires(R >= 2)
void xavier_normal(const Var<T, R, D>& w, RandomSource rng, double gain = 1.0) {
  detail::fill_var(w, [&](Tensor<T, R>& t) { ein::detail::fill_normal(t, rng, 0.0, ein::detail::xavier_std(t, gain)); });
}

}  // namespace ein::nn
