# The layering of include/ein, checked: every `#include "ein/..."` may only reach
# down, and only the CUDA leaf includes CUDA headers. Run by ctest (headers.layering):
#
#   cmake -DINCLUDE_DIR=<repo>/include -P tests/headers/layering.cmake
#
# The layers, lowest first; a header may include its own layer and those below:
#
#   math       the element-math table (beside spec: includes nothing of ein)
#   spec       the einsum grammar: parse, bind, errors, limits
#   tensor     Tensor, views, shapes                              (spec)
#   plan       label sets, step classes, the cost model, the order (spec, tensor)
#   lower      a step as kernel calls: loops, GEMM layouts        (plan and below)
#   backend    the devices: GEMM, scratch, the CUDA leaf          (lower and below)
#   data       data sets, their mini-batches on a device          (backend and below)
#   expr       lazy expressions, einsum, execution                (backend and below)
#   interop    Eigen maps (backend/eigen/interop.hpp, beside expr) (expr and below)
#   autodiff   Var, the tape, einsum's gradients                   (expr and below)
#   nn, optim  losses, softmax, init; SGD, Adam (side by side)     (autodiff and below)
#   dist       data-parallel training over MPI                     (optim and below)
#   umbrella   ein/*.hpp                                           (anything)
#
# CUDA headers (<cuda*.h>, <cublas*.h>, <cuda/...>) only in ein/backend/cuda/.
# EXTRA_EDGES ("from>to;..."): edges checked as if a header had them, for the
# test that shows a violation fails (headers.layering.catches).

cmake_minimum_required(VERSION 3.20)

set(layers math spec tensor plan lower backend data expr interop autodiff nn optim dist umbrella)
set(rank_math 0)
set(rank_spec 0)
set(rank_tensor 10)
set(rank_data 45)
set(rank_plan 20)
set(rank_lower 30)
set(rank_backend 40)
set(rank_expr 50)
set(rank_interop 55)
set(rank_autodiff 60)
set(rank_nn 70)
set(rank_optim 70)
set(rank_dist 80)
set(rank_umbrella 100)

# Edges that run back up today, each with the reason it still does. The training
# stack (autodiff, nn, optim) is written once against a device's table (ein::Host in
# backend/host_device.hpp, ein::cuda::Device in backend/cuda/device.hpp, neither
# including anything above backend); what the CUDA leaf still adds above it is
# ein::cuda::einsum (a precision for ein::einsum, on tensors, and its name on Vars),
# labels already on the device, and its Vars' parameter access for the optimizers.
# The list only shrinks.
set(known_upward
    "ein/lower/fast_pair.hpp>ein/backend/gemm.hpp"  # the pair fast path calls the host GEMM
    "ein/backend/cuda/einsum.hpp>ein/expr/*"         # the CUDA front end (issue 11)
    "ein/backend/cuda/autodiff/*>ein/autodiff/*"
    "ein/backend/cuda/nn/*>ein/nn/*"
    "ein/backend/cuda/optim/*>ein/optim/*")

function(layer_of header out)
  if(header MATCHES "^ein/[^/]+\\.hpp$")
    set(${out} umbrella PARENT_SCOPE)
  elseif(header STREQUAL "ein/backend/eigen/interop.hpp")
    set(${out} interop PARENT_SCOPE)
  elseif(header MATCHES "^ein/([^/]+)/")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

function(is_known from to out)
  set(${out} FALSE PARENT_SCOPE)
  foreach(edge IN LISTS known_upward)
    string(REPLACE ">" ";" pair "${edge}")
    list(GET pair 0 from_glob)
    list(GET pair 1 to_glob)
    string(REPLACE "*" ".*" from_re "^${from_glob}$")
    string(REPLACE "*" ".*" to_re "^${to_glob}$")
    if(from MATCHES "${from_re}" AND to MATCHES "${to_re}")
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

if(NOT INCLUDE_DIR)
  message(FATAL_ERROR "layering.cmake: pass -DINCLUDE_DIR=<repo>/include")
endif()
file(GLOB_RECURSE headers RELATIVE ${INCLUDE_DIR} ${INCLUDE_DIR}/ein/*.hpp)
list(SORT headers)
set(edges)
set(problems)
foreach(header IN LISTS headers)
  layer_of(${header} layer)
  if(NOT layer IN_LIST layers)
    list(APPEND problems "${header}: in no layer (add its folder to tests/headers/layering.cmake)")
  endif()
  file(STRINGS ${INCLUDE_DIR}/${header} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(line IN LISTS includes)
    if(line MATCHES "#[ \t]*include[ \t]*\"(ein/[^\"]+)\"")
      list(APPEND edges "${header}>${CMAKE_MATCH_1}")
    elseif(line MATCHES "#[ \t]*include[ \t]*<(cuda[^>]*|cublas[^>]*|cuda/[^>]*)>" AND NOT header MATCHES "^ein/backend/cuda/")
      list(APPEND problems "${header}: includes the CUDA header <${CMAKE_MATCH_1}> outside ein/backend/cuda/")
    endif()
  endforeach()
endforeach()
list(APPEND edges ${EXTRA_EDGES})

set(used_known)
foreach(edge IN LISTS edges)
  string(REPLACE ">" ";" pair "${edge}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  layer_of(${from} from_layer)
  layer_of(${to} to_layer)
  if(NOT to_layer IN_LIST layers)
    list(APPEND problems "${from}: includes ${to}, which is in no layer")
    continue()
  endif()
  set(up FALSE)
  if(${rank_${to_layer}} GREATER ${rank_${from_layer}})
    set(up TRUE)
  elseif(${rank_${to_layer}} EQUAL ${rank_${from_layer}} AND NOT to_layer STREQUAL from_layer)
    set(up TRUE)  # side by side (math and spec, nn and optim): neither includes the other
  endif()
  if(up)
    is_known(${from} ${to} known)
    if(known)
      list(APPEND used_known "${from}>${to}")
    else()
      list(APPEND problems "${from} (${from_layer}) includes ${to} (${to_layer}): a layer may only include its own and those below")
    endif()
  endif()
endforeach()

list(LENGTH headers header_count)
list(LENGTH edges edge_count)
list(LENGTH used_known known_count)
if(problems)
  foreach(problem IN LISTS problems)
    message(STATUS "layering: ${problem}")  # (STATUS: one line each, unwrapped)
  endforeach()
  list(LENGTH problems problem_count)
  message(FATAL_ERROR "layering: ${problem_count} problems (above)")
endif()
message(STATUS "layering: ${header_count} headers, ${edge_count} includes of ein/ headers, all downward but "
               "${known_count} listed in known_upward")
