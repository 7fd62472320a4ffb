// SystemC kernel housekeeping shared by every simulation mxlab runs: a fresh context per elaboration and sc_start
// that leaves AddressSanitizer's view of the stack right.
#pragma once

#include <systemc>

namespace mxlab::sim {

// Replaces the current SystemC simulation context by a new one, so that a process can elaborate and simulate more
// than once (SystemC 2.3 allows one elaboration per context). Every module of the old context must be destroyed
// first; the old context itself is left allocated (deleting one crashes SystemC 2.3.4; scripts/lsan.supp).
void fresh_sim_context();

// sc_core::sc_start(), resp. sc_start(ns, SC_NS); in an AddressSanitizer build it then tells ASan that the main thread
// is back on its own stack: SystemC 2.3.4's QuickThreads announce the switch back to the main coroutine with a stack of
// size 0, after which ASan cannot clean the frames an exception unwinds on the main stack and reports false
// stack-buffer errors later. (Not named start_simulation: inside a module, sc_module's member of that name wins.)
void run_simulation();
void run_simulation_for(double ns);

}  // namespace mxlab::sim
