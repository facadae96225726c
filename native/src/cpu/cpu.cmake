# Per-file ISA flags for the CPU kernels: the library stays baseline x86-64 and picks
# the widest kernel set at run time (gemm.cpp, parallel.h simd_level()).
set(NW_CPU_DIR ${CMAKE_CURRENT_LIST_DIR})
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set_source_files_properties(${NW_CPU_DIR}/gemm_avx512.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mfma")
  set_source_files_properties(${NW_CPU_DIR}/gemm_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma")
else()
  # Not x86-64 (or a compiler without these flags): build only the portable kernels.
  target_compile_definitions(nwcore PRIVATE NW_GEMM_NO_X86_KERNELS=1)
  set_source_files_properties(${NW_CPU_DIR}/gemm_avx512.cpp ${NW_CPU_DIR}/gemm_avx2.cpp
    PROPERTIES HEADER_FILE_ONLY TRUE)
endif()
