// ein with reverse-mode autodiff: everything in ein.hpp, plus Var and einsum on
// Vars, element-wise ops and reductions on Vars, softmax and losses, weight
// initialisers and the running score (ein::nn) and optimizers (ein::optim). Umbrella.
#pragma once

#include "ein/ein.hpp"

#include "ein/autodiff/einsum.hpp"
#include "ein/autodiff/node.hpp"
#include "ein/autodiff/ops/arithmetic.hpp"
#include "ein/autodiff/ops/custom.hpp"
#include "ein/autodiff/ops/functions.hpp"
#include "ein/autodiff/ops/reduce.hpp"
#include "ein/autodiff/ops/transfer.hpp"
#include "ein/autodiff/var.hpp"
#include "ein/nn/init.hpp"
#include "ein/nn/loss.hpp"
#include "ein/nn/score.hpp"
#include "ein/nn/softmax.hpp"
#include "ein/optim/adam.hpp"
#include "ein/optim/parameter.hpp"
#include "ein/optim/sgd.hpp"
