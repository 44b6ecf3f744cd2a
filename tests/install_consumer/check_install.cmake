# The CTest test `install_consumer` (label "install"): installs the heed build in HEED_BUILD_DIR into
# a scratch prefix, builds this folder's project against it with find_package(heed), runs it, and
# removes the scratch folder. Run as
#   cmake -DHEED_BUILD_DIR=... -DSCRATCH_DIR=... -DGENERATOR=... -DCXX_COMPILER=... -DBUILD_TYPE=...
#         -P check_install.cmake
cmake_minimum_required(VERSION 3.25)

# Runs one step; if it fails, shows its output, cleans up and stops the test.
function(run_step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    file(REMOVE_RECURSE ${SCRATCH_DIR})
    message(FATAL_ERROR "install_consumer: ${name} failed (${result}):\n${output}")
  endif()
  message(STATUS "install_consumer: ${name}: ok")
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

set(prefix ${SCRATCH_DIR}/prefix)
set(consumer_build ${SCRATCH_DIR}/build)
file(REMOVE_RECURSE ${SCRATCH_DIR})

run_step("install heed into ${prefix}" ${CMAKE_COMMAND} --install ${HEED_BUILD_DIR} --prefix ${prefix})
run_step("configure the consumer"
  ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR} -B ${consumer_build} -G ${GENERATOR}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix})
run_step("build the consumer" ${CMAKE_COMMAND} --build ${consumer_build})
run_step("run the consumer" ${consumer_build}/heed_consumer)
message("${step_output}")

file(REMOVE_RECURSE ${SCRATCH_DIR})
