# Install rules and package config for ein::ein and ein::engine (and ein::data where zlib was
# found): the headers, the exported targets and einConfig.cmake +
# einConfigVersion.cmake, found by
# find_package(ein CONFIG). Included from the top-level CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(EIN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_DATADIR}/cmake/ein
    CACHE STRING "Where einConfig.cmake is installed, relative to the prefix")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ein
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp" PATTERN "*.cuh")
install(TARGETS ein ein_engine EXPORT ein-targets)
install(FILES ${PROJECT_SOURCE_DIR}/src/engine.cpp DESTINATION ${CMAKE_INSTALL_DATADIR}/ein)
if(TARGET ein_data)
  install(TARGETS ein_data EXPORT ein-targets)
  set(EIN_EXPORTS_DATA ON)
else()
  set(EIN_EXPORTS_DATA OFF)
endif()
if(TARGET ein_mpi)
  install(TARGETS ein_mpi EXPORT ein-targets)
  set(EIN_EXPORTS_MPI ON)
else()
  set(EIN_EXPORTS_MPI OFF)
endif()
# ein::cuda (a static library of ein's kernels), when the GPU backend was built.
if(TARGET ein_cuda)
  install(TARGETS ein_cuda EXPORT ein-targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set(EIN_EXPORTS_CUDA ON)
else()
  set(EIN_EXPORTS_CUDA OFF)
endif()
install(EXPORT ein-targets
        NAMESPACE ein::
        FILE einTargets.cmake
        DESTINATION ${EIN_INSTALL_CMAKEDIR})

# The config repeats only the dependencies the exported targets link.
if(OpenMP_CXX_FOUND)
  set(EIN_USES_OPENMP ON)
else()
  set(EIN_USES_OPENMP OFF)
endif()
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/einConfig.cmake.in
  ${PROJECT_BINARY_DIR}/einConfig.cmake
  INSTALL_DESTINATION ${EIN_INSTALL_CMAKEDIR}
  NO_SET_AND_CHECK_MACRO NO_CHECK_REQUIRED_COMPONENTS_MACRO)
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/einConfigVersion.cmake
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/einConfig.cmake ${PROJECT_BINARY_DIR}/einConfigVersion.cmake
        DESTINATION ${EIN_INSTALL_CMAKEDIR})
