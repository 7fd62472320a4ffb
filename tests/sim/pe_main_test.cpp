// sc_main of the SystemC test executables: libsystemc's main() calls it; it runs the GoogleTest suites (each
// simulation inside a test makes its own context: sim/pe/sim_context.hpp fresh_sim_context).
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
