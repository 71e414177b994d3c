# SPDX-License-Identifier: MIT
# Every dependency comes from Debian's packages (see docs/architecture.md for why each).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(CURL REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
if(LMX_TESTS)
  find_package(GTest REQUIRED)
endif()
if(LMX_BENCH)
  find_package(benchmark REQUIRED)
endif()

# Compile flags shared by every lmx target.
add_library(lmx_flags INTERFACE)
target_compile_options(lmx_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers>
  # `#pragma omp simd` hints only: threads are lmx's own (lmx/backend/cpu/threading.h).
  $<$<COMPILE_LANGUAGE:CXX>:-fopenmp-simd>)
target_include_directories(lmx_flags INTERFACE ${PROJECT_SOURCE_DIR})
if(LMX_NATIVE)
  target_compile_options(lmx_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
if(LMX_SANITIZE)
  target_compile_options(lmx_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(lmx_flags INTERFACE -fsanitize=address,undefined)
endif()
