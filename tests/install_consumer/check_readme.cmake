# The CTest test `readme_example` (label "docs"): the C++ example in README.md must appear, verbatim,
# in main.cpp, which install_consumer compiles and runs. So the README never shows code that does
# not build. Run as  cmake -DREADME=.../README.md -P check_readme.cmake
cmake_minimum_required(VERSION 3.25)

file(READ ${README} readme)
file(READ ${CMAKE_CURRENT_LIST_DIR}/main.cpp program)
string(REGEX MATCH "```cpp\n([^`]*)```" block "${readme}")
if(NOT block)
  message(FATAL_ERROR "readme_example: ${README} has no ```cpp block")
endif()
string(FIND "${program}" "${CMAKE_MATCH_1}" where)
if(where EQUAL -1)
  message(FATAL_ERROR "readme_example: the ```cpp block of ${README} is not a verbatim part of "
                      "${CMAKE_CURRENT_LIST_DIR}/main.cpp; copy the code from main.cpp into the README")
endif()
