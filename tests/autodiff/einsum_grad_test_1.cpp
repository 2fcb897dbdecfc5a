// Gradients of the generated einsum cases, part 1 of 6 (see einsum_cases.hpp).
#include "einsum_grad_check.hpp"

using ein::test::ext;

TEST_CASE("einsum gradients against central differences, part 1") { EIN_EINSUM_CASES_1(EIN_CHECK_EINSUM_CASE) }
