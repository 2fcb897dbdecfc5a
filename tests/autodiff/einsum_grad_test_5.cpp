// Gradients of the generated einsum cases, part 5 of 6 (see einsum_cases.hpp).
#include "einsum_grad_check.hpp"

using ein::test::ext;

TEST_CASE("einsum gradients against central differences, part 5") { EIN_EINSUM_CASES_5(EIN_CHECK_EINSUM_CASE) }
