// Tensor: an owning, dense, row-major, 64-byte-aligned array of static rank R
// and run-time extents, on the host (Tensor<T, R> = Tensor<T, R, Host>). Layer: tensor.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "ein/tensor/expression.hpp"
#include "ein/tensor/memory_pool.hpp"
#include "ein/tensor/shape.hpp"
#include "ein/tensor/view.hpp"

namespace ein {

namespace detail {
inline constexpr std::size_t tensor_alignment = MemoryPool::granule;  // a cache line; AVX-512 loads stay aligned

/// Gives a tensor's storage back to the memory pool (memory_pool.hpp).
struct PoolDelete {
  std::size_t bytes = 0;
  void operator()(void* p) const noexcept { MemoryPool::global().free(p, bytes); }
};
template <class T>
using TensorStorage = std::unique_ptr<T[], PoolDelete>;

/// Storage for `count` elements, from the memory pool, left for the caller to
/// write: Tensor's constructors zero-fill it, except where the caller writes it
/// whole before any read (an expression evaluated into it with beta 0, a copy),
/// where a fill would be one more pass over the output, which Eigen's
/// `MatrixXf c = expr` and torch's results do not pay. Test builds define
/// EIN_POISON_NEW_TENSORS: it is filled with NaN (other types: 0x5A bytes), so that
/// a path reading it before writing it gives a wrong answer.
template <class T>
TensorStorage<T> allocate(index_t count) {
  static_assert(std::is_trivially_copyable_v<T>, "ein::Tensor holds trivially copyable elements");
  static_assert(alignof(T) <= tensor_alignment, "ein::Tensor: over-aligned element type");
  if (count == 0) return nullptr;
  const std::size_t bytes = static_cast<std::size_t>(count) * sizeof(T);
  void* raw = MemoryPool::global().allocate(bytes);
#ifdef EIN_POISON_NEW_TENSORS
  if constexpr (std::numeric_limits<T>::has_quiet_NaN)
    std::fill_n(static_cast<T*>(raw), count, std::numeric_limits<T>::quiet_NaN());
  else
    std::memset(raw, 0x5A, bytes);
#endif
  return TensorStorage<T>(static_cast<T*>(raw), PoolDelete{bytes});
}

/// Tag of Tensor's constructor for storage its caller writes whole (see allocate).
struct ForWriting {};
inline constexpr ForWriting for_writing{};

template <std::size_t R>
Extents<R> to_extents(const index_t (&e)[R]) {
  Extents<R> out{};
  for (std::size_t d = 0; d < R; ++d) out[d] = e[d];
  return out;
}

}  // namespace detail

/// The CPU as a device (backend/host_device.hpp has its table).
struct Host;

/// A tensor of rank R on device D: Tensor<T, R> is a host tensor (below);
/// another device specialises Tensor for its own (Tensor<T, R, cuda::Device>,
/// backend/cuda/tensor.hpp), so that code written for a device D names its
/// tensors as Tensor<T, R, D>.
template <class T, std::size_t R, class D = Host>
class Tensor;

template <class T, std::size_t R>
class Tensor<T, R, Host> {
 public:
  using value_type = T;
  static constexpr std::size_t rank = R;

  /// Rank 0: one element, zero. Rank R > 0: all extents zero, no elements.
  Tensor() : Tensor(Extents<R>{}) {}
  /// Zero-filled tensor of the given extents.
  explicit Tensor(const Extents<R>& extents) : Tensor(extents, detail::for_writing) {
    std::fill_n(data(), size(), T{});
  }
  /// (Internal) a tensor whose every element the caller writes before reading it:
  /// not zero-filled (detail::allocate).
  Tensor(const Extents<R>& extents, detail::ForWriting) : extents_(extents) {
    detail::check_extents(extents, "Tensor");
    (void)byte_count<T>(extents);  // throws shape_error when the elements or bytes overflow
    storage_ = detail::allocate<T>(size());
  }
  template <std::convertible_to<index_t>... E>
    requires(sizeof...(E) == R && R > 0)
  explicit Tensor(E... extents) : Tensor(Extents<R>{static_cast<index_t>(extents)...}) {}
  /// `Tensor<float, 2> t({3, 4})`: without this, the braces also fit the copy and
  /// move constructors (through the constructor above), and the call is ambiguous.
  /// (The bound is 1 at R == 0, which the requires-clause excludes: ISO C++ has no
  /// zero-size arrays, and -Wpedantic warns at the declaration.)
  explicit Tensor(const index_t (&extents)[R > 0 ? R : 1])
    requires(R > 0)
      : Tensor(detail::to_extents<R>(extents)) {}
  /// Extents and row-major values; the value count must match.
  Tensor(const Extents<R>& extents, std::initializer_list<T> values) : Tensor(extents) {
    if (static_cast<index_t>(values.size()) != size())
      throw shape_error("Tensor: " + std::to_string(values.size()) + " values for extents " + to_string(extents));
    std::copy(values.begin(), values.end(), data());
  }
  /// Evaluates an expression.
  template <Expression E>
    requires(E::rank == R && std::same_as<typename E::value_type, T>)
  Tensor(const E& expr) : Tensor(Extents<R>(expr.extents()), detail::for_writing) {  // NOLINT: implicit, like Eigen
    expr.evaluate_into(view(), T(1), T(0));
  }

  Tensor(const Tensor& other) : Tensor(other.extents_, detail::for_writing) {
    std::copy_n(other.data(), size(), data());
  }
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(const Tensor& other) {
    if (this != &other) {
      Tensor copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  Tensor& operator=(Tensor&&) noexcept = default;
  ~Tensor() = default;

  /// Evaluates an expression, resizing to its extents. An expression that reads
  /// this tensor (A = einsum(A, B)) is evaluated into a temporary first.
  template <Expression E>
    requires(E::rank == R && std::same_as<typename E::value_type, T>)
  Tensor& operator=(const E& expr) {
    return assign_expression(expr, expr.extents());
  }
  /// The same for an expression of run-time rank (`C = ein::einsum("ij,jk->ik", A, B);`):
  /// it throws ein::spec_error when its rank is not R.
  template <class E>
    requires(RuntimeRankExpression<E, R> && std::same_as<typename E::value_type, T>)
  Tensor& operator=(const E& expr) {
    return assign_expression(expr, expr.template extents<R>());
  }
  /// this += expr (GEMM's beta = 1): `C += ein::einsum<"ij,jk->ik">(A, B);`, or with a
  /// spec given at run time (its rank checked: ein::spec_error).
  template <class E>
    requires(ExpressionOfRank<E, R> && std::same_as<typename E::value_type, T>)
  Tensor& operator+=(const E& expr) {
    view().assign(expr, T(1), T(1));
    return *this;
  }
  template <class E>
    requires(ExpressionOfRank<E, R> && std::same_as<typename E::value_type, T>)
  Tensor& operator-=(const E& expr) {
    view().assign(expr, T(-1), T(1));
    return *this;
  }

  [[nodiscard]] T* data() { return storage_ ? storage_.get() : scalar_fallback(); }
  [[nodiscard]] const T* data() const { return storage_ ? storage_.get() : const_cast<Tensor*>(this)->scalar_fallback(); }
  [[nodiscard]] index_t size() const { return element_count(extents_); }
  [[nodiscard]] index_t extent(std::size_t d) const { return extents_[d]; }
  [[nodiscard]] const Extents<R>& extents() const { return extents_; }
  [[nodiscard]] std::array<index_t, R> strides() const { return unchecked_row_major_strides(extents_); }

  /// The element at a multi-index; checked as .at() is when index_checks is on
  /// (builds without NDEBUG, or EIN_CHECKS=1), unchecked otherwise.
  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  T& operator()(Idx... idx) {
    return data()[offset_of<detail::index_checks>(std::array<index_t, R>{static_cast<index_t>(idx)...})];
  }
  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  const T& operator()(Idx... idx) const {
    return data()[offset_of<detail::index_checks>(std::array<index_t, R>{static_cast<index_t>(idx)...})];
  }
  /// The element at a multi-index; throws std::out_of_range outside the extents.
  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  T& at(Idx... idx) {
    return data()[offset_of<true>(std::array<index_t, R>{static_cast<index_t>(idx)...})];
  }
  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  const T& at(Idx... idx) const {
    return data()[offset_of<true>(std::array<index_t, R>{static_cast<index_t>(idx)...})];
  }

  [[nodiscard]] TensorView<T, R> view() { return {data(), extents_, typename TensorView<T, R>::trusted_t{}}; }
  [[nodiscard]] TensorView<const T, R> view() const {
    return {data(), extents_, typename TensorView<const T, R>::trusted_t{}};
  }
  operator TensorView<T, R>() { return view(); }               // NOLINT: a tensor is usable as a view
  operator TensorView<const T, R>() const { return view(); }   // NOLINT

  /// Changes the extents; contents become zero.
  void resize(const Extents<R>& extents) {
    if (extents == extents_) return;
    *this = Tensor(extents);
  }
  void fill(T value) { std::fill_n(data(), size(), value); }
  void set_zero() { fill(T{}); }

 private:
  template <bool Checked>
  index_t offset_of(const std::array<index_t, R>& at) const {
    if constexpr (Checked) detail::check_index(at, extents_, "ein::Tensor");
    index_t offset = 0;
    for (std::size_t d = 0; d < R; ++d) offset = offset * extents_[d] + at[d];
    return offset;
  }
  // In place when the extents agree and the expression does not read this tensor;
  // otherwise through a new tensor (this one unchanged if evaluation throws). One
  // call of evaluate_into, which inlines the expression's fast paths: a second, for
  // the new tensor, cost each spec's compile time again.
  template <class E>
  Tensor& assign_expression(const E& expr, const Extents<R>& extents) {
    bool same = true;  // (not Extents' ==: a call of memcmp, 18 instructions under callgrind, this loop 6)
    for (std::size_t d = 0; d < R; ++d) same = same && extents[d] == extents_[d];
    std::optional<Tensor> result;
    if (!same || reads_me(expr)) result.emplace(extents, detail::for_writing);
    expr.evaluate_into(result ? result->view() : view(), T(1), T(0));
    if (result) *this = std::move(*result);
    return *this;
  }
  // A tensor with no elements still hands out a non-null, never-read pointer.
  // (Laundered: else g++ -O3 -Warray-bounds, seeing data() may be &empty_, warns
  // at `t(3)` on a tensor just built from an expression.)
  T* scalar_fallback() { return std::launder(&empty_); }
  template <class E>
  bool reads_me(const E& expr) const {
    // A tensor is dense: its bytes are [data, data + count) (the constructor checked the count).
    index_t count = 1;
    for (std::size_t d = 0; d < R; ++d) count *= extents_[d];
    return expr.overlaps(data(), data() + count);
  }

  Extents<R> extents_{};
  detail::TensorStorage<T> storage_;
  T empty_{};
};

namespace detail {

template <std::size_t R>
[[noreturn, gnu::cold, gnu::noinline]] void throw_assignment_mismatch(const Extents<R>& extents,
                                                                     const Extents<R>& destination) {
  throw shape_error("assignment: expression extents " + to_string(extents) + " differ from destination " +
                    to_string(destination));
}

/// dst = alpha * src + beta * dst, element by element (dst and src of equal extents).
template <class T, std::size_t R>
[[gnu::noinline]] void scale_add(const TensorView<T, R>& dst, const TensorView<const T, R>& src, T alpha, T beta) {
  for_each_index(dst.extents(), [&](const std::array<index_t, R>& at) {
    index_t s = 0, d = 0;
    for (std::size_t k = 0; k < R; ++k) {
      s += at[k] * src.stride(k);
      d += at[k] * dst.stride(k);
    }
    dst.data()[d] = beta == T(0) ? alpha * src.data()[s] : alpha * src.data()[s] + beta * dst.data()[d];
  });
}

}  // namespace detail

template <class T, std::size_t R>
template <class E>
  requires ExpressionOfRank<E, R>
void TensorView<T, R>::assign(const E& expr, value_type alpha, value_type beta) const {
  const Extents<R> extents = detail::extents_of<R>(expr);
  if (extents != extents_) detail::throw_assignment_mismatch(extents, extents_);
  // An expression that reads this view goes into a new tensor first. (One call of
  // evaluate_into, as in Tensor::assign_expression.)
  // (A unique_ptr, not a std::optional: g++ 12 -O3 warns -Wmaybe-uninitialized
  // destroying an optional Tensor<T, 0> here, GCC bug 80635.)
  const auto [begin, end] = span_bytes();
  std::unique_ptr<Tensor<value_type, R>> result;
  if (expr.overlaps(begin, end)) result = std::make_unique<Tensor<value_type, R>>(extents, detail::for_writing);
  expr.evaluate_into(result ? result->view() : *this, result ? value_type(1) : alpha, result ? value_type(0) : beta);
  if (result) detail::scale_add(*this, TensorView<const value_type, R>(result->view()), alpha, beta);
}

}  // namespace ein
