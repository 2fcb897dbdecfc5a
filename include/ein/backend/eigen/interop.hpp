// Eigen interop: Eigen matrices, maps, blocks and transposes, and Eigen
// Tensors and TensorMaps, are einsum operands read in place (their strides
// become the view's); ein tensors are viewable as Eigen maps; ein::view() turns
// a writable Eigen object into a destination. Layer: backend.
#pragma once

#include <cstddef>
#include <type_traits>

#include <Eigen/Core>

#include "ein/expr/operand.hpp"
#include "ein/tensor/tensor.hpp"
#include "ein/tensor/view.hpp"

namespace ein {
namespace detail {

/// A dense Eigen matrix-like object with direct memory access (Matrix, Map, Block, Transpose, Ref...).
template <class X>
concept EigenDirectMatrix = std::is_base_of_v<Eigen::DenseBase<X>, X> && ((X::Flags & Eigen::DirectAccessBit) != 0);

template <class X>
constexpr bool is_eigen_ref = false;
template <class M, int Options, class Stride>
constexpr bool is_eigen_ref<Eigen::Ref<M, Options, Stride>> = true;

/// An Eigen::Tensor or Eigen::TensorMap (recognised by shape, so the Tensor module need not be included here).
template <class X>
concept EigenTensorLike = requires(const X& x) {
  X::NumIndices;
  X::Layout;
  typename X::Scalar;
  x.data();
  x.dimension(0);
} && !std::is_base_of_v<Eigen::DenseBase<X>, X>;

template <class X>
constexpr std::size_t eigen_matrix_rank = (X::RowsAtCompileTime == 1 || X::ColsAtCompileTime == 1) ? 1 : 2;

template <class X, class T>
TensorView<T, eigen_matrix_rank<X>> eigen_matrix_view(T* data, const X& x) {
  const index_t row_stride = X::IsRowMajor ? x.outerStride() : x.innerStride();
  const index_t col_stride = X::IsRowMajor ? x.innerStride() : x.outerStride();
  if constexpr (eigen_matrix_rank<X> == 1) {
    return {data, {x.size()}, {x.innerStride()}};
  } else {
    return {data, {x.rows(), x.cols()}, {row_stride, col_stride}};
  }
}

template <class X, class T>
TensorView<T, static_cast<std::size_t>(X::NumIndices)> eigen_tensor_view(T* data, const X& x) {
  constexpr std::size_t R = X::NumIndices;
  Extents<R> extents{};
  for (std::size_t d = 0; d < R; ++d) extents[d] = x.dimension(d);
  std::array<index_t, R> strides{};
  index_t step = 1;
  if constexpr ((static_cast<int>(X::Layout) & Eigen::RowMajorBit) != 0) {
    strides = row_major_strides(extents);
  } else {
    for (std::size_t d = 0; d < R; ++d) {
      strides[d] = step;
      step *= extents[d];
    }
  }
  return {data, extents, strides};
}

}  // namespace detail

template <detail::EigenDirectMatrix X>
struct operand_traits<X> {
  using value_type = typename X::Scalar;
  static constexpr std::size_t rank = detail::eigen_matrix_rank<X>;
  /// A copied Eigen::Ref<const M> does not copy the temporary it may hold.
  static constexpr bool copy_keeps_elements = !detail::is_eigen_ref<X>;
  static TensorView<const value_type, rank> view(const X& x) { return detail::eigen_matrix_view(x.data(), x); }
};

template <detail::EigenTensorLike X>
struct operand_traits<X> {
  using value_type = std::remove_const_t<typename X::Scalar>;
  static constexpr std::size_t rank = X::NumIndices;
  static TensorView<const value_type, rank> view(const X& x) { return detail::eigen_tensor_view(x.data(), x); }
};

/// A writable view of an Eigen matrix, map or block: `ein::view(M) = ein::einsum<"ij,jk->ik">(A, B);`
template <detail::EigenDirectMatrix X>
  requires(!std::is_const_v<std::remove_pointer_t<decltype(std::declval<X&>().data())>>)
auto view(X& x) {
  return detail::eigen_matrix_view(x.data(), x);
}

/// A writable view of an Eigen::Tensor or TensorMap.
template <detail::EigenTensorLike X>
auto view(X& x) {
  return detail::eigen_tensor_view(x.data(), x);
}

/// An ein tensor of rank 1 or 2 seen as an Eigen map (row-major for rank 2), no copy.
template <class T, std::size_t R>
  requires(R == 1 || R == 2)
auto as_eigen(Tensor<T, R>& t) {
  if constexpr (R == 1) {
    return Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(t.data(), t.extent(0));
  } else {
    return Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(t.data(), t.extent(0),
                                                                                       t.extent(1));
  }
}
template <class T, std::size_t R>
  requires(R == 1 || R == 2)
auto as_eigen(const Tensor<T, R>& t) {
  if constexpr (R == 1) {
    return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(t.data(), t.extent(0));
  } else {
    return Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(t.data(), t.extent(0),
                                                                                             t.extent(1));
  }
}

}  // namespace ein
