// libsystemc.so defines main() calling sc_main(); mxlab programs have their own main and simulate through library
// calls (sim/simulate.hpp), so this one is never called: it is there for the linker.
#include <cstdio>

extern "C" int sc_main(int, char**) {  // as sysc/kernel/sc_externs.h declares it
  std::fprintf(stderr, "mxlab: sc_main is not an entry point of this program\n");
  return 1;
}
