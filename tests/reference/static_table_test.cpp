// Random two-operand specs with literal text, so that ein's compile-time entry
// point (and its GEMM fast path, lower/static_pair.hpp) meets the oracle too.
// The rows were drawn by ein_test::random_pair_case; the skipped test case at
// the end prints a fresh table (--no-skip -tc="*prints*").
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "row_check.hpp"

using ein_test::check_row;
using ein_test::ext;

TEST_CASE("static table: random GEMM-shaped specs through both entry points agree with the oracle") {
  check_row<"cnEK,cE->nK", float>(ext(5, 4, 5, 5), ext(5, 5));
  check_row<"Iwv,Ivw->w", double>(ext(4, 5, 4), ext(4, 4, 5));
  check_row<"X,XS->S", float>(ext(5), ext(5, 1));
  check_row<"iXj,Xlej->eil", double>(ext(2, 5, 1), ext(5, 5, 1, 1));
  check_row<"LTMA,MAutLT->uTLt", float>(ext(3, 5, 3, 3), ext(3, 3, 2, 5, 3, 5));
  check_row<"zbns,MsMXnb->XMnzb", double>(ext(1, 3, 4, 2), ext(2, 2, 2, 5, 4, 3));
  check_row<"...yHk,...yCHs->...kCys", float>(ext(2, 5, 5, 2), ext(2, 5, 4, 5, 4));
  check_row<"Msx,Mxs->Ms", double>(ext(4, 4, 5), ext(4, 5, 4));
  check_row<"Fqm,VhF->hVq", float>(ext(1, 4, 5), ext(3, 3, 1));
  check_row<"jvmpqW,qvm->Wvp", double>(ext(2, 2, 2, 2, 5, 3), ext(5, 2, 2));
  check_row<"FfUe,UftF->FtUe", float>(ext(1, 5, 2, 4), ext(2, 5, 5, 1));
  check_row<"yNr,Qy->rQN", double>(ext(5, 5, 5), ext(2, 5));
  check_row<"...fIrk,...ki->...riI", float>(ext(1, 2, 4, 1, 1), ext(1, 1, 1));
  check_row<"HTxlq,xHq->qxTl", double>(ext(2, 4, 4, 4, 1), ext(4, 2, 1));
  check_row<"NoTU,UvTosN->UvTs", float>(ext(5, 1, 5, 5), ext(5, 4, 5, 1, 2, 5));
  check_row<"MtXO,Xagt->OagMX", double>(ext(1, 2, 2, 4), ext(2, 3, 4, 2));
  check_row<"...tbkVa,...dbkVda->...bdat", float>(ext(1, 2, 4, 3, 1, 4), ext(1, 5, 4, 3, 1, 5, 4));
  check_row<"Zp,Zg->gp", double>(ext(3, 2), ext(3, 1));
  check_row<"...moNnr,...oN->...rm", float>(ext(1, 3, 3, 4, 1, 5), ext(1, 3, 4));
  check_row<"kwgmco,cgwkht->gkothm", double>(ext(1, 5, 4, 1, 5, 3), ext(5, 4, 5, 1, 5, 4));
  check_row<"oPThFl,mPrhTF->rohmT", float>(ext(3, 2, 1, 5, 2, 3), ext(1, 2, 3, 5, 1, 2));
  check_row<"OKcC,CK->OK", double>(ext(5, 5, 4, 2), ext(2, 5));
  check_row<"qhg,hqB->Bg", float>(ext(4, 3, 4), ext(3, 4, 4));
  check_row<"jmdp,dmp->pmj", double>(ext(2, 3, 4, 3), ext(4, 3, 3));
  check_row<"djM,EMl->Eljd", float>(ext(2, 4, 4), ext(1, 4, 4));
  check_row<"ryb,br->", double>(ext(2, 1, 4), ext(4, 2));
  check_row<"aps,mpsB->apBm", float>(ext(5, 2, 3), ext(2, 2, 3, 3));
  check_row<"oVa,VXa->X", double>(ext(1, 5, 5), ext(5, 5, 5));
  check_row<"reIm,eOrd->mIdO", float>(ext(5, 4, 3, 4), ext(4, 2, 5, 5));
  check_row<"...egybn,...Bengjb->...jBbny", double>(ext(2, 5, 1, 3, 1, 4), ext(2, 1, 5, 4, 1, 5, 1));
  check_row<"A,kkFA->kF", float>(ext(3), ext(4, 4, 5, 3));
  check_row<"ztyo,tyNzR->yRNo", double>(ext(3, 3, 4, 4), ext(3, 4, 2, 3, 5));
  check_row<"Swk,wSk->kS", float>(ext(2, 1, 3), ext(1, 2, 3));
  check_row<"q,nqy->yn", double>(ext(5), ext(3, 5, 1));
  check_row<"NILud,INvu->vduL", float>(ext(5, 3, 4, 3, 1), ext(3, 5, 1, 3));
  check_row<"wdap,dwpcV->aVdwc", double>(ext(4, 5, 2, 2), ext(5, 4, 2, 3, 1));
  check_row<"Ec,EcEq->q", float>(ext(5, 5), ext(5, 5, 5, 2));
  check_row<"xmA,AmJi->Jix", double>(ext(1, 2, 2), ext(2, 2, 1, 5));
  check_row<"fz,zLf->Lf", float>(ext(2, 5), ext(5, 2, 2));
  check_row<"uVb,VbkQ->ukVQ", double>(ext(5, 2, 5), ext(2, 5, 4, 5));
  ein_test::report_known();
}

TEST_CASE("static table: prints a fresh table of rows" * doctest::skip()) {
  ein_test::Rng rng{0x57a71c};
  for (int i = 0; i < 40; ++i) {
    const ein_test::Case c = ein_test::random_pair_case(rng);
    std::string row = "  check_row<\"" + c.spec + "\", " + (i % 2 ? "double" : "float") + ">(";
    for (std::size_t k = 0; k < c.extents.size(); ++k) {
      row += k ? ", ext(" : "ext(";
      for (std::size_t d = 0; d < c.extents[k].size(); ++d) {
        if (d) row += ", ";
        row += std::to_string(c.extents[k][d]);
      }
      row += ")";
    }
    std::printf("%s);\n", row.c_str());
  }
}
