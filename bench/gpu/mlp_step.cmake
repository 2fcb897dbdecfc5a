# mlp_step: one MLP training step (N=1024, H=1024) on the CPU backend and on the
# GPU in one binary, with a count of the CUDA copies inside GPU steps
# (mlp_step.cpp). Included by bench/gpu/CMakeLists.txt; run by bench/gpu_check.sh.
add_executable(mlp_step ${CMAKE_CURRENT_LIST_DIR}/mlp_step.cpp)
# The copy counters wrap cudaMemcpy*, so the runtime must be the shared libcudart
# (ein::cuda links CUDA::cudart) and dlsym comes from libdl.
target_link_libraries(mlp_step PRIVATE ein::cuda ${CMAKE_DL_LIBS})
target_compile_options(mlp_step PRIVATE -Wall -Wextra)
include(CheckCXXCompilerFlag)
check_cxx_compiler_flag(-march=native EIN_MLP_STEP_HAS_MARCH_NATIVE)
if(EIN_MLP_STEP_HAS_MARCH_NATIVE)
  target_compile_options(mlp_step PRIVATE -march=native)  # the CPU side as fast as examples/mlp
  # g++ 12's AVX-512 intrinsics (`__m512 __Y = __Y;`) trip -Wmaybe-uninitialized inside
  # Eigen's kernels: GCC bug 105593, fixed in g++ 13.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(mlp_step PRIVATE -Wno-maybe-uninitialized)
  endif()
endif()
add_dependencies(ein_gpu_check mlp_step)
