// PyTorch's own einsum test cases (test_linalg.py: test_einsum and
// test_einsum_corner_cases), run through ein's compile-time and run-time entry
// points and checked against the oracle, each also with extents set to 1 and 0.
#include <doctest/doctest.h>

#include <string>

#include "row_check.hpp"

using ein_test::check_row;
using ein_test::ext;

TEST_CASE_TEMPLATE("table: PyTorch's test_einsum cases agree with the oracle", T, float, double) {
  // Vector operations
  check_row<"i->", T>(ext(5));                                // sum
  check_row<"i,i->", T>(ext(5), ext(5));                      // dot
  check_row<"i,i->i", T>(ext(5), ext(5));                     // element-wise product
  check_row<"i,j->ij", T>(ext(5), ext(7));                    // outer product
  // Matrix operations
  check_row<"ij->ji", T>(ext(3, 5));                          // transpose
  check_row<"ij->j", T>(ext(3, 5));                           // row sum
  check_row<"ij->i", T>(ext(3, 5));                           // column sum
  check_row<"ij,ij->ij", T>(ext(3, 5), ext(3, 5));            // element-wise product
  check_row<"ij,j->i", T>(ext(3, 5), ext(5));                 // matrix-vector product
  check_row<"ij,kj->ik", T>(ext(3, 5), ext(2, 5));            // matrix product
  check_row<"ij,Ab->ijAb", T>(ext(3, 5), ext(7, 9));          // matrix outer product
  // Tensor operations
  check_row<"Aij,Ajk->Aik", T>(ext(2, 3, 5), ext(2, 5, 7));   // batch matrix product
  check_row<"aij,ajk->aik", T>(ext(2, 3, 5), ext(2, 5, 7));
  check_row<"ijk,jk->i", T>(ext(2, 3, 5), ext(3, 5));         // tensor-matrix contraction
  check_row<"aij,jk->aik", T>(ext(2, 5, 7), ext(7, 9));
  check_row<"abCd,dFg->abCFg", T>(ext(2, 3, 3, 5), ext(5, 4, 6));
  check_row<"ijk,jk->ik", T>(ext(2, 3, 5), ext(3, 5));
  check_row<"ijk,jk->ij", T>(ext(2, 3, 5), ext(3, 5));
  check_row<"ijk,ik->j", T>(ext(2, 3, 5), ext(2, 5));         // not contiguous
  check_row<"ijk,ik->jk", T>(ext(2, 3, 5), ext(2, 5));
  // Diagonals
  check_row<"ii", T>(ext(4, 4));                              // trace
  check_row<"ii->i", T>(ext(4, 4));                           // diagonal
  check_row<"iji->j", T>(ext(2, 3, 2));                       // trace not on contiguous axes
  check_row<"ngrg...->nrg...", T>(ext(2, 1, 3, 1, 4));
  // Ellipsis
  check_row<"i...->...", T>(ext(4, 4));
  check_row<"ki,...k->i...", T>(ext(5, 3), ext(2, 5));
  check_row<"k...,jk->...", T>(ext(5, 3), ext(2, 5));
  check_row<"...ik, ...j -> ij", T>(ext(2, 3, 5), ext(5));
  check_row<"Bik,k...j->i...j", T>(ext(2, 3, 5), ext(5, 3));
  check_row<"i...j, ij... -> ...ij", T>(ext(2, 3, 5), ext(2, 5, 2, 3));
  // torch.bilinear, and on strided operands (here: whatever layout the run-time check draws)
  check_row<"bn,anm,bm->ba", T>(ext(5, 10), ext(15, 10, 20), ext(5, 20));
  check_row<"bn,Anm,bm->bA", T>(ext(5, 5), ext(15, 5, 10), ext(5, 10));
  // More operands
  check_row<"i,i,i->", T>(ext(4), ext(4), ext(4));
  check_row<"ab,bc,cd,de->ae", T>(ext(2, 3), ext(3, 4), ext(4, 5), ext(5, 2));
  ein_test::report_known();
}

// In double only: these are small, and each row costs compile time.
TEST_CASE("table: PyTorch's test_einsum_corner_cases agree with the oracle") {
  using T = double;
  // Spec variations (the one-term empty spec " " is checked below)
  check_row<" -> ", T>(ext());
  check_row<" , ", T>(ext(), ext());
  check_row<" , , ", T>(ext(), ext(), ext());
  check_row<" , -> ", T>(ext(), ext());
  check_row<" i ", T>(ext(1));
  check_row<" i -> ", T>(ext(1));
  check_row<" i -> i ", T>(ext(1));
  check_row<" i , i ", T>(ext(2), ext(2));
  check_row<" i , i -> i ", T>(ext(2), ext(2));
  // Zero-size extents
  check_row<"i", T>(ext(0));
  check_row<" i j -> j", T>(ext(2, 0));
  check_row<"ij->i", T>(ext(2, 0));
  check_row<" i j k  ,  k  -> i j ", T>(ext(1, 2, 0), ext(0));
  // Broadcasting
  check_row<"i,j", T>(ext(1), ext(2));
  check_row<"i,ij->ij", T>(ext(2), ext(2, 3));
  // Ellipsis broadcasting
  check_row<"...", T>(ext());
  check_row<"...->", T>(ext());
  check_row<"...->...", T>(ext());
  check_row<"...", T>(ext(1));
  check_row<"...->", T>(ext(1));
  check_row<"z...->z", T>(ext(1));
  check_row<"Z...->...Z", T>(ext(1));
  check_row<"...a->", T>(ext(2, 1));
  check_row<"a...b->ab", T>(ext(2, 2, 1));
  ein_test::report_known();
}

TEST_CASE("table: an empty spec is one rank-0 term (NumPy): the identity of one scalar, else an error") {
  const ein::Tensor<double, 0> s({}, {2.5});
  const ein::Tensor<double, 1> v({2}, {1, 2});
  for (const char* spec : {"", " "}) {
    INFO("spec \"" << std::string(spec) << "\"");
    CHECK(ein::einsum(spec, s).eval<0>()() == 2.5);
    CHECK(ein::reference::einsum<double>(spec, {ein::reference::to_array(s)}).values[0] == 2.5);
    CHECK_THROWS_WITH_AS((void)ein::einsum(spec, v), doctest::Contains("the spec is empty"), ein::spec_error);
    CHECK_THROWS_AS((void)ein::reference::einsum<double>(spec, {ein::reference::to_array(v)}), std::invalid_argument);
  }
  CHECK(ein::einsum(" -> ", s).eval<0>()() == 2.5);
}
