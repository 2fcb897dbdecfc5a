# The optional BLAS path: when a CBLAS is found (Debian: libopenblas-dev), the
# ein::ein target links it and defines EIN_USE_CBLAS, and large GEMM steps run on
# it (include/ein/backend/gemm.hpp). Without one, Eigen's GEMM does everything.
option(EIN_USE_BLAS "Run large GEMM steps on a CBLAS (OpenBLAS) when one is found" ON)
set(EIN_BLAS_FOUND OFF)
if(EIN_USE_BLAS)
  if(NOT DEFINED BLA_VENDOR)
    set(BLA_VENDOR OpenBLAS)
  endif()
  find_package(BLAS QUIET)
  find_path(EIN_CBLAS_INCLUDE_DIR cblas.h
    PATH_SUFFIXES openblas openblas-pthread openblas-openmp x86_64-linux-gnu/openblas-pthread
                  x86_64-linux-gnu/openblas-openmp)
  if(BLAS_FOUND AND EIN_CBLAS_INCLUDE_DIR)
    set(EIN_BLAS_FOUND ON)
    target_link_libraries(ein INTERFACE BLAS::BLAS)
    target_compile_definitions(ein INTERFACE EIN_USE_CBLAS)
    target_include_directories(ein SYSTEM INTERFACE $<BUILD_INTERFACE:${EIN_CBLAS_INCLUDE_DIR}>)
    message(STATUS "ein: large GEMM steps use BLAS (${BLAS_LIBRARIES}, cblas.h in ${EIN_CBLAS_INCLUDE_DIR})")
  else()
    message(STATUS "ein: no CBLAS found (install libopenblas-dev); GEMM steps use Eigen")
  endif()
endif()
