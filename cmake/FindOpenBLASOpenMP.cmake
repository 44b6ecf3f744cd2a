# heed loads OpenBLAS at run time (core/blas.cpp) so that it can choose the CPU kernels before
# OpenBLAS initialises. We want Debian's OpenMP build of OpenBLAS: it shares heed's OpenMP thread
# pool, so BLAS threads and heed's own kernel threads never compete for the cores.
set(_heed_arch_dir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
find_file(HEED_OPENBLAS_LIBRARY libopenblas.so.0
  PATHS ${_heed_arch_dir}/openblas-openmp NO_DEFAULT_PATH
  DOC "The OpenMP build of OpenBLAS that heed loads at run time")
find_path(HEED_CBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
  NO_DEFAULT_PATH)
if(NOT HEED_OPENBLAS_LIBRARY OR NOT HEED_CBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "heed needs Debian's libopenblas-openmp-dev (run scripts/setup)")
endif()
message(STATUS "heed: OpenBLAS (OpenMP build) at ${HEED_OPENBLAS_LIBRARY}")
