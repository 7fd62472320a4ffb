# Tests of rtl/cost/ and `mxlab cost` (included from tests/rtl/CMakeLists.txt), label `cost`: hash, memory constants,
# unit/format resolution and vectors (fast); int2_mac end to end through synthesis, gate-level simulation and the
# cache (about a minute on 2 cores: default run); CLI errors. Needs the synthesis flow (yosys, sta) and iverilog.
if(NOT TARGET mxlab_cost)
  return()
endif()
add_executable(rtl_cost_tests cost_tests.cpp)
target_link_libraries(rtl_cost_tests PRIVATE mxlab::cost mxlab::cost_operands mxlab::rtl_oracle_reference
                      mxlab::options GTest::gtest_main)
target_compile_definitions(rtl_cost_tests PRIVATE MXLAB_COST_CLI="$<TARGET_FILE:mxlab>"
  MXLAB_COST_DATA_DIR="${MXLAB_DATA_DIR}" MXLAB_COST_WORK_DIR="${CMAKE_CURRENT_BINARY_DIR}/cost")
add_dependencies(rtl_cost_tests mxlab)
gtest_discover_tests(rtl_cost_tests TEST_PREFIX "rtl_cost_tests." PROPERTIES LABELS "cost" TIMEOUT 900
                     DISCOVERY_TIMEOUT 60)
