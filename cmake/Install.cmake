# `cmake --install` (or `make install PREFIX=...`): the static library, the headers laid out as
# users include them (<heed/heed.h>, <heed/core/tensor.h>, ...), and a CMake package, so that
#   find_package(heed REQUIRED)
#   target_link_libraries(app PRIVATE heed::heed)
# works. tests/install_consumer/ proves it on every `make test`.
include(CMakePackageConfigHelpers)

set(HEED_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/heed)

install(TARGETS heed EXPORT heedTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The `heed` command, when cli/ has sources.
if(TARGET heed_cli)
  install(TARGETS heed_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(FILES heed.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/heed)
foreach(room ${HEED_ROOMS})
  if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/${room})  # rooms not written yet have nothing to install
    install(DIRECTORY ${room}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/heed/${room}
      FILES_MATCHING PATTERN "*.h")
  endif()
endforeach()

install(EXPORT heedTargets NAMESPACE heed:: DESTINATION ${HEED_CMAKE_INSTALL_DIR})
configure_package_config_file(cmake/heedConfig.cmake.in ${CMAKE_BINARY_DIR}/heedConfig.cmake
  INSTALL_DESTINATION ${HEED_CMAKE_INSTALL_DIR})
# 0.x versions: a minor release may break the API, so only the same minor version matches.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/heedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/heedConfig.cmake ${CMAKE_BINARY_DIR}/heedConfigVersion.cmake
  DESTINATION ${HEED_CMAKE_INSTALL_DIR})
