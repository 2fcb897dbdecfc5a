// Compile-time probe: 50 distinct compile-time specs in one TU, each parsed,
// checked, planned and instantiated (einsum<S>(...).eval()). Its time minus
// include_ein.cpp's, over 50, is the cost of one spec. Never run. Layer: bench.
#include "ein/ein.hpp"

namespace {
template <class X>
void sink(const X& x) {
  volatile float keep = x.size() > 0 ? x.data()[0] : 0.0f;
  (void)keep;
}
}  // namespace

void fifty_specs(const ein::Tensor<float, 1>& v, const ein::Tensor<float, 2>& m, const ein::Tensor<float, 3>& t,
                 const ein::Tensor<float, 4>& q) {
  // rank 2 with rank 2: every transposition of a GEMM, element-wise, reductions
  sink(ein::einsum<"ij,jk->ik">(m, m).eval());
  sink(ein::einsum<"ij,kj->ik">(m, m).eval());
  sink(ein::einsum<"ji,jk->ik">(m, m).eval());
  sink(ein::einsum<"ji,kj->ik">(m, m).eval());
  sink(ein::einsum<"ij,jk->ki">(m, m).eval());
  sink(ein::einsum<"ij,kj->ki">(m, m).eval());
  sink(ein::einsum<"ji,jk->ki">(m, m).eval());
  sink(ein::einsum<"ji,kj->ki">(m, m).eval());
  sink(ein::einsum<"ij,ij->ij">(m, m).eval());
  sink(ein::einsum<"ij,ji->ij">(m, m).eval());
  sink(ein::einsum<"ij,ij->">(m, m).eval());
  sink(ein::einsum<"ij,ji->">(m, m).eval());
  sink(ein::einsum<"ij,jk->">(m, m).eval());
  sink(ein::einsum<"ij,ik->jk">(m, m).eval());
  sink(ein::einsum<"ij,ik->kj">(m, m).eval());
  sink(ein::einsum<"ij,ij->i">(m, m).eval());
  sink(ein::einsum<"ij,ij->j">(m, m).eval());
  sink(ein::einsum<"ij,kl->ijkl">(m, m).eval());
  // vectors, matrix-vector, single-operand
  sink(ein::einsum<"i,i->">(v, v).eval());
  sink(ein::einsum<"i,j->ij">(v, v).eval());
  sink(ein::einsum<"i,j->ji">(v, v).eval());
  sink(ein::einsum<"ij,j->i">(m, v).eval());
  sink(ein::einsum<"ij,i->j">(m, v).eval());
  sink(ein::einsum<"i,ij->j">(v, m).eval());
  sink(ein::einsum<"i->">(v).eval());
  sink(ein::einsum<"ij->i">(m).eval());
  sink(ein::einsum<"ij->j">(m).eval());
  sink(ein::einsum<"ij->ji">(m).eval());
  sink(ein::einsum<"ij->">(m).eval());
  sink(ein::einsum<"ii->">(m).eval());
  sink(ein::einsum<"ii->i">(m).eval());
  // rank 3, and more than two operands
  sink(ein::einsum<"bij,bjk->bik">(t, t).eval());
  sink(ein::einsum<"bij,bkj->bik">(t, t).eval());
  sink(ein::einsum<"bji,bjk->bik">(t, t).eval());
  sink(ein::einsum<"bij,jk->bik">(t, m).eval());
  sink(ein::einsum<"bij,bij->b">(t, t).eval());
  sink(ein::einsum<"bii->bi">(t).eval());
  sink(ein::einsum<"bij->bji">(t).eval());
  sink(ein::einsum<"bij->b">(t).eval());
  sink(ein::einsum<"ijk->kji">(t).eval());
  sink(ein::einsum<"bi,bj->bij">(m, m).eval());
  sink(ein::einsum<"bi,ij,bj->b">(m, m, m).eval());
  sink(ein::einsum<"ab,bc,cd->ad">(m, m, m).eval());
  sink(ein::einsum<"ab,bc,cd,de->ae">(m, m, m, m).eval());
  // rank 4
  sink(ein::einsum<"abcd,cdef->abef">(q, q).eval());
  sink(ein::einsum<"acbd,dcef->abfe">(q, q).eval());
  sink(ein::einsum<"bhqd,bhkd->bhqk">(q, q).eval());
  sink(ein::einsum<"bhqk,bhkd->bhqd">(q, q).eval());
  sink(ein::einsum<"abcd->abdc">(q).eval());
  sink(ein::einsum<"abcd,abcd->">(q, q).eval());
}
