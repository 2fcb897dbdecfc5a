// Eigen operands read in place (matrices, maps, blocks, transposes, Tensors,
// TensorMaps), Eigen destinations, and ein tensors seen as Eigen maps.
#include <unsupported/Eigen/CXX11/Tensor>

#include "engine_support.hpp"

using ein::Tensor;
using ein::test::check_against_reference;

TEST_CASE_TEMPLATE("Eigen matrices of either storage order, blocks and transposes", T, float, double) {
  using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const ColMat a = ColMat::Random(7, 5);
  const RowMat b = RowMat::Random(5, 6);
  const Tensor<T, 2> c = ein::einsum<"ij,jk->ik">(a, b);
  const ColMat expected = a * b;
  for (int i = 0; i < 7; ++i)
    for (int k = 0; k < 6; ++k) CHECK(c(i, k) == doctest::Approx(expected(i, k)).epsilon(1e-5));

  const auto block = a.block(1, 1, 4, 3);                 // strided window, no copy
  const Tensor<T, 2> bt = ein::einsum<"ij,kj->ik">(block, b.transpose().block(0, 0, 6, 3));
  const ColMat expected_bt = block * b.transpose().block(0, 0, 6, 3).transpose();
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 6; ++k) CHECK(bt(i, k) == doctest::Approx(expected_bt(i, k)).epsilon(1e-5));

  const Eigen::Matrix<T, Eigen::Dynamic, 1> v = Eigen::Matrix<T, Eigen::Dynamic, 1>::Random(5);
  const Tensor<T, 1> av = ein::einsum<"ij,j->i">(a, v);  // a vector is rank 1
  const Eigen::Matrix<T, Eigen::Dynamic, 1> expected_av = a * v;
  for (int i = 0; i < 7; ++i) CHECK(av(i) == doctest::Approx(expected_av(i)).epsilon(1e-5));
  const Tensor<T, 1> row = ein::einsum<"j->j">(a.row(2));  // a row of a column-major matrix: stride 7
  for (int j = 0; j < 5; ++j) CHECK(row(j) == a(2, j));
}

TEST_CASE_TEMPLATE("Eigen destinations through ein::view, and ein tensors as Eigen maps", T, float, double) {
  using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const ColMat a = ColMat::Random(6, 4), b = ColMat::Random(4, 3);
  ColMat c(6, 3);
  ein::view(c) = ein::einsum<"ij,jk->ik">(a, b);
  CHECK((c - a * b).norm() < 1e-4);
  ColMat big = ColMat::Zero(10, 10);
  auto window = big.block(2, 3, 6, 3);
  ein::view(window) += ein::einsum<"ij,jk->ik">(a, b);
  CHECK((big.block(2, 3, 6, 3) - a * b).norm() < 1e-4);
  CHECK(big(0, 0) == T(0));

  Tensor<T, 2> t = ein::einsum<"ij,jk->ik">(a, b);
  const auto map = ein::as_eigen(t);
  CHECK((map - a * b).norm() < 1e-4);
  CHECK(map.data() == t.data());
}

TEST_CASE_TEMPLATE("Eigen Tensors and TensorMaps, column- and row-major", T, float, double) {
  Eigen::Tensor<T, 3> x(3, 4, 5);  // column-major
  x.setRandom();
  Eigen::Tensor<T, 3, Eigen::RowMajor> y(5, 4, 2);
  y.setRandom();
  const Tensor<T, 3> r = ein::einsum<"ijk,kjl->ijl">(x, y);
  Tensor<T, 3> xe(3, 4, 5), ye(5, 4, 2);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 5; ++k) xe(i, j, k) = x(i, j, k);
  for (int k = 0; k < 5; ++k)
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 2; ++l) ye(k, j, l) = y(k, j, l);
  check_against_reference<T>("ijk,kjl->ijl", r.view(), xe, ye);

  Eigen::TensorMap<Eigen::Tensor<T, 3>> xm(x.data(), 3, 4, 5);
  const Tensor<T, 2> s = ein::einsum<"ijk->ik">(xm);
  check_against_reference<T>("ijk->ik", s.view(), xe);
  Eigen::Tensor<T, 2> dest(3, 5);
  ein::view(dest) = ein::einsum<"ijk->ik">(xm);
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 5; ++k) CHECK(dest(i, k) == doctest::Approx(s(i, k)));
}
