# SPDX-License-Identifier: MIT
# The CUDA backend: nvcc from /usr/local/cuda, Hopper (sm_90) code.
if(NOT DEFINED CMAKE_CUDA_COMPILER)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
enable_language(CUDA)
# CMake 3.25 does not know nvcc's C++20 flag; tell it (the C++ targets ask for C++20).
if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
  set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
  set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
endif()
set(CMAKE_CUDA_STANDARD 20)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)
function(lmx_cuda_setup target)
  target_link_libraries(${target} PUBLIC CUDA::cudart_static CUDA::cublas CUDA::cublasLt)
  target_compile_definitions(${target} PUBLIC LMX_HAS_CUDA=1)
  # 186: "pointless comparison of unsigned integer with zero" in dtype-generic kernels.
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -lineinfo -diag-suppress=186>)
endfunction()
