# SPDX-License-Identifier: MIT
# lmx_layer(NAME DIR DEPS...): a static library made of every .cpp in DIR.
# Each layer links only the layers below it (docs/architecture.md, scripts/check_layers.py).
function(lmx_layer name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp)
  if(srcs)
    add_library(${name} STATIC ${srcs})
  else()
    add_library(${name} INTERFACE)
  endif()
  get_target_property(type ${name} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_link_libraries(${name} INTERFACE lmx_flags ${ARGN})
  else()
    target_link_libraries(${name} PUBLIC lmx_flags ${ARGN})
  endif()
endfunction()

# lmx_tests(NAME DIR LIBS...): one GoogleTest binary of every *_test.cpp in tests/DIR.
function(lmx_tests name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${dir}/*_test.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs} ${PROJECT_SOURCE_DIR}/tests/test_main.cpp)
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest)
  target_compile_definitions(${name} PRIVATE
    LMX_SOURCE_DIR="${PROJECT_SOURCE_DIR}" LMX_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${name} TEST_PREFIX "${dir}." DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "LMX_BIN=${CMAKE_BINARY_DIR}/bin/lmx")
endfunction()
