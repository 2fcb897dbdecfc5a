# The optional GPU backend: target ein_cuda (alias ein::cuda) with ein's CUDA
# kernels (src/cuda/*.cu), linking CUDA::cudart and CUDA::cublas. Headers are
# include/ein/cuda.hpp and include/ein/backend/cuda/; code that includes them
# builds with the host compiler, only the kernels need nvcc.
#
# EIN_ENABLE_CUDA defaults to ON when ein is the top-level project and a CUDA
# compiler and the toolkit are found. As a subproject (add_subdirectory,
# FetchContent) the GPU backend is opt-in: the parent sets EIN_ENABLE_CUDA=ON.
# Until then ein looks for no nvcc (check_language costs seconds of configure)
# and enables no CUDA language in the parent's project.
# The compiler: CMAKE_CUDA_COMPILER or env CUDACXX when set, else the nvcc of
# the toolkit FindCUDAToolkit finds (CUDAToolkit_ROOT, env CUDA_PATH, nvcc on
# PATH, the toolkit's default prefix), so a shell without nvcc on PATH still
# gets the GPU backend.
include(CheckLanguage)

if(DEFINED EIN_ENABLE_CUDA AND NOT EIN_ENABLE_CUDA)
  message(STATUS "ein: GPU backend off (EIN_ENABLE_CUDA=OFF)")
  return()
endif()
if(NOT EIN_MAIN_PROJECT AND NOT DEFINED EIN_ENABLE_CUDA)
  option(EIN_ENABLE_CUDA "Build the GPU backend (ein::cuda); needs nvcc and the CUDA toolkit" OFF)
  message(STATUS "ein: GPU backend off (a subproject; set EIN_ENABLE_CUDA=ON for ein::cuda)")
  return()
endif()

if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  # CUDAToolkit_BIN_DIR, not CUDAToolkit_NVCC_EXECUTABLE: CMake 3.25 sets the
  # latter to a wrong path when the toolkit is found through its default prefix.
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_BIN_DIR AND EXISTS "${CUDAToolkit_BIN_DIR}/nvcc")
    set(CMAKE_CUDA_COMPILER "${CUDAToolkit_BIN_DIR}/nvcc" CACHE FILEPATH "CUDA compiler")
  endif()
endif()
check_language(CUDA)
set(EIN_CUDA_DEFAULT OFF)
if(CMAKE_CUDA_COMPILER)
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    set(EIN_CUDA_DEFAULT ON)
  endif()
endif()
option(EIN_ENABLE_CUDA "Build the GPU backend (ein::cuda); needs nvcc and the CUDA toolkit" ${EIN_CUDA_DEFAULT})

if(NOT EIN_ENABLE_CUDA)
  if(CMAKE_CUDA_COMPILER)
    message(STATUS "ein: GPU backend off (EIN_ENABLE_CUDA=OFF)")
  else()
    message(STATUS "ein: GPU backend off: no CUDA compiler found (set CUDACXX or CMAKE_CUDA_COMPILER to nvcc)")
  endif()
  return()
endif()
if(NOT CMAKE_CUDA_COMPILER)
  message(FATAL_ERROR "ein: EIN_ENABLE_CUDA=ON but no CUDA compiler found (set CUDACXX or CMAKE_CUDA_COMPILER to nvcc)")
endif()

enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
set(EIN_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING
    "CUDA architectures of ein's kernels (default: sm_90 code plus PTX for newer GPUs)")

# Every kernel file of src/cuda: one small .cu per family (CI has 2 cores).
file(GLOB EIN_CUDA_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/cuda/*.cu)
add_library(ein_cuda STATIC ${EIN_CUDA_SOURCES})
add_library(ein::cuda ALIAS ein_cuda)
set_target_properties(ein_cuda PROPERTIES EXPORT_NAME cuda)  # ein::cuda in the install too
if(NOT CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
  # As a subproject, nvcc runs only for a parent that links ein::cuda.
  set_target_properties(ein_cuda PROPERTIES EXCLUDE_FROM_ALL ON)
endif()
set_target_properties(ein_cuda PROPERTIES
  CUDA_ARCHITECTURES "${EIN_CUDA_ARCHITECTURES}"
  CUDA_RUNTIME_LIBRARY Shared
  POSITION_INDEPENDENT_CODE ON)
# The kernels see include/ only: ein::ein's usage requirements (Eigen, OpenMP,
# BLAS) reach the users of ein::cuda, never nvcc.
target_include_directories(ein_cuda PRIVATE ${PROJECT_SOURCE_DIR}/include)
# C++20 by flag: CMake 3.25 knows no CUDA20 dialect for nvcc (its
# Compiler/NVIDIA-CUDA.cmake stops at CUDA17), so CUDA_STANDARD 20 fails to generate.
target_compile_options(ein_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-std=c++20 -Xcompiler=-Wall,-Wextra>)
target_link_libraries(ein_cuda PUBLIC CUDA::cudart CUDA::cublas INTERFACE ein::ein)
message(STATUS "ein: GPU backend on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, CUDA ${CUDAToolkit_VERSION}, "
               "architectures ${EIN_CUDA_ARCHITECTURES})")

# ein_gpu_check: everything bench/gpu_check.sh builds for a lent GPU. The tests of
# tests/cuda and the benchmarks of bench/gpu add themselves; a gpu-labelled test
# elsewhere must add its executable: add_dependencies(ein_gpu_check <target>).
add_custom_target(ein_gpu_check)
option(EIN_BUILD_GPU_BENCHMARKS "Build the GPU benchmarks (bench/gpu; no Google Benchmark needed)" OFF)
if(EIN_BUILD_GPU_BENCHMARKS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/bench/gpu ${PROJECT_BINARY_DIR}/bench/gpu)
endif()
