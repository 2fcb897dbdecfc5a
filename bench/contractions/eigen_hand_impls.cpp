// eigen_hand: issue 10's baselines, the code a user writes instead of a non-GEMM einsum, on
// Maps over the case's own operands (nothing pre-arranged, nothing copied): an Eigen
// expression; a loop of Eigen products where the einsum is a batch of them; a plain loop nest
// where Eigen has no expression (permutations of rank 3 and more). Layer: bench.
//
// Threads. Eigen runs expressions and GEMV on the calling thread only, so at 2 threads each
// baseline is split as a user parallelises it by hand: one contiguous block of an output axis
// per OpenMP thread (`blocks`; partial sums for a full reduction, `block_sum`), or, for one
// large GEMM, Eigen's own threads (Eigen::setNbThreads, which the suite sets).
//
//     class       spec                  what is timed (row-major Maps; X_i is X's slice at i)
//   1 dot         "i,i->"               x.dot(y)
//   2             "ij,ij->"             A.cwiseProduct(B).sum()
//                 "ij,ji->"             A.cwiseProduct(B.transpose()).sum()
//                 "ij,ji->ij"           A.cwiseProduct(B.transpose())
//                 "ij,ij->ji"           A.cwiseProduct(B).transpose()
//   3 reduction   "ijk,ijk->jk"         X, Y viewed (i, jk): out = Σ_i X.row(i) ⊙ Y.row(i), row by row
//   4             "ijk,ijk->ik"         per i: out.row(i) = Σ_j X_i.row(j) ⊙ Y_i.row(j)
//   5             "ijk,ijk->ij"         X, Y viewed (ij, k): X.cwiseProduct(Y).rowwise().sum()
//   6             "ij->i"               A.rowwise().sum()
//   7             "ij->j"               out = Σ_i A.row(i), row by row
//   8 elementwise "ij,ij->ij"           A.array() * B.array()
//   9             "ij,ij,ij->ij"        A.array() * B.array() * C.array() (one pass: Eigen fuses)
//  10             "ij,j->ij"            A.array().rowwise() * v.array()
//  11             "bi,ij,bj->bij"       per b, i: out_b.row(i) = x_b(i) * W.row(i) ⊙ y_b
//  12 outer       "i,j->ij"             out.noalias() = x * y.transpose()
//  13 permutation "ij->ji"              out = A.transpose(), the output's rows split over the threads
//                 "ijk->kji"            loop k, j, i: out[k][j][i] = in[i][j][k] (unit-stride writes)
//  14             "ijk->ikj"            per i: out_i = in_i.transpose()
//  15             "ijkl->ljki"          loop l, j, k, i (unit-stride writes)
//  16             "abcde->edcba"        loop e, d, c, b, a (unit-stride writes)
//  17 gemv        "ij,j->i"             y.noalias() = A * x
//  18             "ji,j->i"             y.noalias() = A.transpose() * x
//  19             "bij,bj->bi"          per b: y_b.noalias() = A_b * x_b
//  20 batched     "nchw,kc->nkhw"       per image n: Y_n (k, hw).noalias() = W (k, c) * X_n (c, hw); threads over n
//  21 network     "ijk,ai,bj,ck->abc"   Tucker, contract k, then i, then j (29 MFLOP at 64³ and 32³):
//                                       T1 (ij, c) = X (ij, k) * Cᵀ; T2 (a, jc) = A * T1 (i, jc);
//                                       per a: out_a (b, c) = B * T2_a (j, c)
//  22             "ijk,jr,kr->ir"       MTTKRP: the Khatri-Rao product K (jk, r),
//                                       K.row(j·nk + k) = B.row(j) ⊙ C.row(k); then out.noalias() = X (i, jk) * K
//  23             "ijk,ai,bj->abk"      two mode products: T (a, jk) = A * X (i, jk); per a: out_a (b, k) = B * T_a (j, k)
//  24             "ijkl,ai,bj,ck,dl->abcd"  Tucker of rank 4: T1 (ijk, d) = Y (ijk, l) * Dᵀ; T2 (a, jkd) = A * T1 (i, jkd);
//                                       per a: T3_a (b, kd) = B * T2_a (j, kd); per a, b: out_ab (c, d) = C * T3_ab (k, d)
#include <Eigen/Core>

#include <omp.h>

#include <memory>
#include <tuple>
#include <utility>

#include "suite.hpp"

namespace bench {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Mat = Eigen::Map<RowMat<T>>;
template <class T>
using CMat = Eigen::Map<const RowMat<T>>;
template <class T>
using Vec = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <class T>
using CVec = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
template <class T>
using Row = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <class T>
using CRow = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;

/// body(begin, end) over [0, n): one call on one thread, else one contiguous block per thread of
/// one OpenMP team (not `omp parallel if`: a region that is off still builds a team).
template <class F>
void blocks(index_t n, int threads, const F& body) {
  if (threads <= 1) {
    body(index_t(0), n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const index_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    body(n * t / nt, n * (t + 1) / nt);
  }
}

/// The sum of body(begin, end) over the same blocks.
template <class T, class F>
T block_sum(index_t n, int threads, const F& body) {
  if (threads <= 1) return body(index_t(0), n);
  T s = 0;
#pragma omp parallel num_threads(threads) reduction(+ : s)
  {
    const index_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    s += body(n * t / nt, n * (t + 1) / nt);
  }
  return s;
}

template <class T>
std::optional<Runner> eigen_hand(const Case& c, Operands<T>& ops, int threads) {
  const std::string& s = c.spec;
  const auto& in = c.inputs;
  const T* x = ops.in[0].data();
  const T* y = ops.in.size() > 1 ? ops.in[1].data() : nullptr;
  const T* z = ops.in.size() > 2 ? ops.in[2].data() : nullptr;
  T* out = ops.out.data();
  const int nt = threads;
  // 1-2: dots.
  if (s == "i,i->" || s == "ij,ij->") {
    const index_t rows = in[0][0], cols = in[0].size() > 1 ? in[0][1] : 1;
    if (cols == 1)
      return Runner{[=] {
                      out[0] = block_sum<T>(rows, nt, [=](index_t b, index_t e) {
                        return CVec<T>(x + b, e - b).dot(CVec<T>(y + b, e - b));
                      });
                    },
                    {}};
    return Runner{[=] {
                    out[0] = block_sum<T>(rows, nt, [=](index_t b, index_t e) {
                      return CMat<T>(x + b * cols, e - b, cols).cwiseProduct(CMat<T>(y + b * cols, e - b, cols)).sum();
                    });
                  },
                  {}};
  }
  // The same with B's unit stride on the other axis (tr(A B)), and its Hadamard product:
  // what a user writes in Eigen, A.cwiseProduct(B.transpose()), over blocks of A's rows.
  if (s == "ij,ji->" || s == "ij,ji->ij") {
    const index_t n = in[0][0];
    const auto rows_of_bt = [=](index_t b, index_t e) { return CMat<T>(y, n, n).transpose().middleRows(b, e - b); };
    if (c.output.empty())
      return Runner{[=] {
                      out[0] = block_sum<T>(n, nt, [=](index_t b, index_t e) {
                        return CMat<T>(x + b * n, e - b, n).cwiseProduct(rows_of_bt(b, e)).sum();
                      });
                    },
                    {}};
    return Runner{[=] {
                    blocks(n, nt, [=](index_t b, index_t e) {
                      Mat<T>(out + b * n, e - b, n) = CMat<T>(x + b * n, e - b, n).cwiseProduct(rows_of_bt(b, e));
                    });
                  },
                  {}};
  }
  // The Hadamard product written transposed: A.cwiseProduct(B).transpose(), over blocks of
  // the output's rows.
  if (s == "ij,ij->ji") {
    const index_t n = in[0][0];
    return Runner{[=] {
                    blocks(n, nt, [=](index_t b, index_t e) {
                      Mat<T>(out + b * n, e - b, n) =
                          CMat<T>(x, n, n).cwiseProduct(CMat<T>(y, n, n)).transpose().middleRows(b, e - b);
                    });
                  },
                  {}};
  }
  // 3-7: partial reductions.
  if (s == "ijk,ijk->jk") {
    const index_t ni = in[0][0], njk = in[0][1] * in[0][2];
    return Runner{[=] {
                    blocks(njk, nt, [=](index_t b, index_t e) {
                      Row<T> acc(out + b, e - b);
                      acc = CRow<T>(x + b, e - b).cwiseProduct(CRow<T>(y + b, e - b));
                      for (index_t i = 1; i < ni; ++i)
                        acc += CRow<T>(x + i * njk + b, e - b).cwiseProduct(CRow<T>(y + i * njk + b, e - b));
                    });
                  },
                  {}};
  }
  if (s == "ijk,ijk->ik") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      for (index_t i = b; i < e; ++i) {
                        const T* xi = x + i * nj * nk;
                        const T* yi = y + i * nj * nk;
                        Row<T> acc(out + i * nk, nk);
                        acc = CRow<T>(xi, nk).cwiseProduct(CRow<T>(yi, nk));
                        for (index_t j = 1; j < nj; ++j)
                          acc += CRow<T>(xi + j * nk, nk).cwiseProduct(CRow<T>(yi + j * nk, nk));
                      }
                    });
                  },
                  {}};
  }
  if (s == "ijk,ijk->ij") {
    const index_t nij = in[0][0] * in[0][1], nk = in[0][2];
    return Runner{[=] {
                    blocks(nij, nt, [=](index_t b, index_t e) {
                      Vec<T>(out + b, e - b) =
                          CMat<T>(x + b * nk, e - b, nk).cwiseProduct(CMat<T>(y + b * nk, e - b, nk)).rowwise().sum();
                    });
                  },
                  {}};
  }
  if (s == "ij->i") {
    const index_t ni = in[0][0], nj = in[0][1];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      Vec<T>(out + b, e - b) = CMat<T>(x + b * nj, e - b, nj).rowwise().sum();
                    });
                  },
                  {}};
  }
  if (s == "ij->j") {
    const index_t ni = in[0][0], nj = in[0][1];
    return Runner{[=] {
                    blocks(nj, nt, [=](index_t b, index_t e) {
                      Row<T> acc(out + b, e - b);
                      acc = CRow<T>(x + b, e - b);
                      for (index_t i = 1; i < ni; ++i) acc += CRow<T>(x + i * nj + b, e - b);
                    });
                  },
                  {}};
  }
  // 8-11: Hadamard and broadcast products.
  if (s == "ij,ij->ij" || s == "ij,ij,ij->ij") {
    const index_t ni = in[0][0], nj = in[0][1];
    if (z == nullptr)
      return Runner{[=] {
                      blocks(ni, nt, [=](index_t b, index_t e) {
                        Mat<T>(out + b * nj, e - b, nj).array() =
                            CMat<T>(x + b * nj, e - b, nj).array() * CMat<T>(y + b * nj, e - b, nj).array();
                      });
                    },
                    {}};
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      Mat<T>(out + b * nj, e - b, nj).array() = CMat<T>(x + b * nj, e - b, nj).array() *
                                                                CMat<T>(y + b * nj, e - b, nj).array() *
                                                                CMat<T>(z + b * nj, e - b, nj).array();
                    });
                  },
                  {}};
  }
  if (s == "ij,j->ij") {
    const index_t ni = in[0][0], nj = in[0][1];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      Mat<T>(out + b * nj, e - b, nj).array() =
                          CMat<T>(x + b * nj, e - b, nj).array().rowwise() * CRow<T>(y, nj).array();
                    });
                  },
                  {}};
  }
  if (s == "bi,ij,bj->bij") {
    const index_t nb = in[0][0], ni = in[0][1], nj = in[1][1];
    return Runner{[=] {
                    blocks(nb, nt, [=](index_t b0, index_t e) {
                      for (index_t b = b0; b < e; ++b)
                        for (index_t i = 0; i < ni; ++i)
                          Row<T>(out + (b * ni + i) * nj, nj).array() =
                              x[b * ni + i] * CRow<T>(y + i * nj, nj).array() * CRow<T>(z + b * nj, nj).array();
                    });
                  },
                  {}};
  }
  // 12: outer product.
  if (s == "i,j->ij") {
    const index_t ni = in[0][0], nj = in[1][0];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      Mat<T>(out + b * nj, e - b, nj).noalias() = CVec<T>(x + b, e - b) * CRow<T>(y, nj);
                    });
                  },
                  {}};
  }
  // 13-16: permutations.
  if (s == "ij->ji") {
    const index_t ni = in[0][0], nj = in[0][1];
    return Runner{[=] {
                    blocks(nj, nt, [=](index_t b, index_t e) {
                      Mat<T>(out + b * ni, e - b, ni) = CMat<T>(x, ni, nj).middleCols(b, e - b).transpose();
                    });
                  },
                  {}};
  }
  if (s == "ijk->kji") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2];
    return Runner{[=] {
                    blocks(nk, nt, [=](index_t b, index_t e) {
                      for (index_t k = b; k < e; ++k)
                        for (index_t j = 0; j < nj; ++j) {
                          T* o = out + (k * nj + j) * ni;
                          const T* p = x + j * nk + k;
                          for (index_t i = 0; i < ni; ++i) o[i] = p[i * nj * nk];
                        }
                    });
                  },
                  {}};
  }
  if (s == "ijk->ikj") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      for (index_t i = b; i < e; ++i)
                        Mat<T>(out + i * nk * nj, nk, nj) = CMat<T>(x + i * nj * nk, nj, nk).transpose();
                    });
                  },
                  {}};
  }
  if (s == "ijkl->ljki") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2], nl = in[0][3];
    return Runner{[=] {
                    blocks(nl, nt, [=](index_t b, index_t e) {
                      for (index_t l = b; l < e; ++l)
                        for (index_t j = 0; j < nj; ++j)
                          for (index_t k = 0; k < nk; ++k) {
                            T* o = out + ((l * nj + j) * nk + k) * ni;
                            const T* p = x + (j * nk + k) * nl + l;
                            for (index_t i = 0; i < ni; ++i) o[i] = p[i * nj * nk * nl];
                          }
                    });
                  },
                  {}};
  }
  if (s == "abcde->edcba") {
    const index_t na = in[0][0], nb = in[0][1], nc = in[0][2], nd = in[0][3], ne = in[0][4];
    return Runner{[=] {
                    blocks(ne, nt, [=](index_t b0, index_t e0) {
                      for (index_t e = b0; e < e0; ++e)
                        for (index_t d = 0; d < nd; ++d)
                          for (index_t cc = 0; cc < nc; ++cc)
                            for (index_t b = 0; b < nb; ++b) {
                              T* o = out + (((e * nd + d) * nc + cc) * nb + b) * na;
                              const T* p = x + ((b * nc + cc) * nd + d) * ne + e;
                              for (index_t a = 0; a < na; ++a) o[a] = p[a * nb * nc * nd * ne];
                            }
                    });
                  },
                  {}};
  }
  // 17-19: GEMV.
  if (s == "ij,j->i") {
    const index_t ni = in[0][0], nj = in[0][1];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      Vec<T>(out + b, e - b).noalias() = CMat<T>(x + b * nj, e - b, nj) * CVec<T>(y, nj);
                    });
                  },
                  {}};
  }
  if (s == "ji,j->i") {
    const index_t nj = in[0][0], ni = in[0][1];
    return Runner{[=] {
                    blocks(ni, nt, [=](index_t b, index_t e) {
                      Vec<T>(out + b, e - b).noalias() =
                          CMat<T>(x, nj, ni).middleCols(b, e - b).transpose() * CVec<T>(y, nj);
                    });
                  },
                  {}};
  }
  if (s == "bij,bj->bi") {
    const index_t nb = in[0][0], ni = in[0][1], nj = in[0][2];
    return Runner{[=] {
                    blocks(nb, nt, [=](index_t b0, index_t e) {
                      for (index_t b = b0; b < e; ++b)
                        Vec<T>(out + b * ni, ni).noalias() = CMat<T>(x + b * ni * nj, ni, nj) * CVec<T>(y + b * nj, nj);
                    });
                  },
                  {}};
  }
  // 20: a batch of GEMMs, one per image (Eigen's GEMM inside an OpenMP team runs on its thread).
  if (s == "nchw,kc->nkhw") {
    const index_t nn = in[0][0], nc = in[0][1], hw = in[0][2] * in[0][3], nk = in[1][0];
    return Runner{[=] {
                    blocks(nn, nt, [=](index_t b, index_t e) {
                      for (index_t n = b; n < e; ++n)
                        Mat<T>(out + n * nk * hw, nk, hw).noalias() =
                            CMat<T>(y, nk, nc) * CMat<T>(x + n * nc * hw, nc, hw);
                    });
                  },
                  {}};
  }
  // 21-24: tensor networks; temporaries allocated once, here.
  if (s == "ijk,ai,bj,ck->abc") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2], na = in[1][0], nb = in[2][0], ncc = in[3][0];
    auto t1 = std::make_shared<Buffer<T>>(static_cast<std::size_t>(ni * nj * ncc));
    auto t2 = std::make_shared<Buffer<T>>(static_cast<std::size_t>(na * nj * ncc));
    const T* w = ops.in[3].data();
    T *p1 = t1->data(), *p2 = t2->data();
    return Runner{[=, keep = std::make_pair(t1, t2)] {
                    Mat<T>(p1, ni * nj, ncc).noalias() = CMat<T>(x, ni * nj, nk) * CMat<T>(w, ncc, nk).transpose();
                    Mat<T>(p2, na, nj * ncc).noalias() = CMat<T>(y, na, ni) * CMat<T>(p1, ni, nj * ncc);
                    blocks(na, nt, [=](index_t b, index_t e) {
                      for (index_t a = b; a < e; ++a)
                        Mat<T>(out + a * nb * ncc, nb, ncc).noalias() =
                            CMat<T>(z, nb, nj) * CMat<T>(p2 + a * nj * ncc, nj, ncc);
                    });
                  },
                  {}};
  }
  if (s == "ijk,ai,bj->abk") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2], na = in[1][0], nb = in[2][0];
    auto t1 = std::make_shared<Buffer<T>>(static_cast<std::size_t>(na * nj * nk));
    T* p1 = t1->data();
    return Runner{[=, keep = t1] {
                    Mat<T>(p1, na, nj * nk).noalias() = CMat<T>(y, na, ni) * CMat<T>(x, ni, nj * nk);
                    blocks(na, nt, [=](index_t b, index_t e) {
                      for (index_t a = b; a < e; ++a)
                        Mat<T>(out + a * nb * nk, nb, nk).noalias() = CMat<T>(z, nb, nj) * CMat<T>(p1 + a * nj * nk, nj, nk);
                    });
                  },
                  {}};
  }
  if (s == "ijkl,ai,bj,ck,dl->abcd") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2], nl = in[0][3], na = in[1][0], nb = in[2][0],
                  nc = in[3][0], nd = in[4][0];
    auto t1 = std::make_shared<Buffer<T>>(static_cast<std::size_t>(ni * nj * nk * nd));
    auto t2 = std::make_shared<Buffer<T>>(static_cast<std::size_t>(na * nj * nk * nd));
    auto t3 = std::make_shared<Buffer<T>>(static_cast<std::size_t>(na * nb * nk * nd));
    const T* w = ops.in[3].data();
    const T* v = ops.in[4].data();
    T *p1 = t1->data(), *p2 = t2->data(), *p3 = t3->data();
    return Runner{[=, keep = std::make_tuple(t1, t2, t3)] {
                    Mat<T>(p1, ni * nj * nk, nd).noalias() = CMat<T>(x, ni * nj * nk, nl) * CMat<T>(v, nd, nl).transpose();
                    Mat<T>(p2, na, nj * nk * nd).noalias() = CMat<T>(y, na, ni) * CMat<T>(p1, ni, nj * nk * nd);
                    blocks(na, nt, [=](index_t b, index_t e) {
                      for (index_t a = b; a < e; ++a) {
                        Mat<T>(p3 + a * nb * nk * nd, nb, nk * nd).noalias() =
                            CMat<T>(z, nb, nj) * CMat<T>(p2 + a * nj * nk * nd, nj, nk * nd);
                        for (index_t bb = 0; bb < nb; ++bb)
                          Mat<T>(out + (a * nb + bb) * nc * nd, nc, nd).noalias() =
                              CMat<T>(w, nc, nk) * CMat<T>(p3 + (a * nb + bb) * nk * nd, nk, nd);
                      }
                    });
                  },
                  {}};
  }
  if (s == "ijk,jr,kr->ir") {
    const index_t ni = in[0][0], nj = in[0][1], nk = in[0][2], nr = in[1][1];
    auto kr = std::make_shared<Buffer<T>>(static_cast<std::size_t>(nj * nk * nr));
    T* pk = kr->data();
    return Runner{[=, keep = kr] {
                    blocks(nj, nt, [=](index_t b, index_t e) {
                      for (index_t j = b; j < e; ++j)
                        Mat<T>(pk + j * nk * nr, nk, nr).array() =
                            CMat<T>(z, nk, nr).array().rowwise() * CRow<T>(y + j * nr, nr).array();
                    });
                    Mat<T>(out, ni, nr).noalias() = CMat<T>(x, ni, nj * nk) * CMat<T>(pk, nj * nk, nr);
                  },
                  {}};
  }
  return std::nullopt;
}

}  // namespace

void add_eigen_hand_impls() {
  impls().push_back({"eigen_hand", Factory<float>(&eigen_hand<float>), Factory<double>(&eigen_hand<double>)});
}

}  // namespace bench
