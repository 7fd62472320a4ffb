# Tests of rtl/power/ (included from tests/rtl/CMakeLists.txt): label `power` (and `unit`). The liberty is the
# synthesis flow's (MXLAB_SYNTH_LIBERTY, from MXLAB_DATA_DIR); tests needing yosys/iverilog skip without them.
find_program(YOSYS_BIN yosys)
find_program(IVERILOG_BIN iverilog)
find_program(VVP_BIN vvp)
add_executable(rtl_power_tests power_tests.cpp)
target_link_libraries(rtl_power_tests PRIVATE mxlab::power mxlab::options GTest::gtest_main)
target_compile_definitions(rtl_power_tests PRIVATE
  MXLAB_POWER_LIBERTY="${MXLAB_SYNTH_LIBERTY}" MXLAB_POWER_YOSYS="${YOSYS_BIN}"
  MXLAB_POWER_IVERILOG="${IVERILOG_BIN}" MXLAB_POWER_VVP="${VVP_BIN}"
  MXLAB_POWER_WORK_DIR="${CMAKE_CURRENT_BINARY_DIR}/power")
gtest_discover_tests(rtl_power_tests TEST_PREFIX "rtl_power_tests." PROPERTIES LABELS "power;unit"
                     DISCOVERY_TIMEOUT 60)
