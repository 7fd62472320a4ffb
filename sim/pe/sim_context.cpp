// SystemC kernel housekeeping (sim/pe/sim_context.hpp).
#include "sim/pe/sim_context.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define MXLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MXLAB_ASAN 1
#endif
#endif

#ifdef MXLAB_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>

#include <cstddef>
#endif

namespace mxlab::sim {

void fresh_sim_context() {
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
}

namespace {

// Announces the calling thread's own stack to ASan as the stack it runs on (a no-op without ASan).
void back_on_main_stack() {
#ifdef MXLAB_ASAN
  pthread_attr_t attr;
  void* bottom = nullptr;
  std::size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  const int got = pthread_attr_getstack(&attr, &bottom, &size);
  pthread_attr_destroy(&attr);
  if (got != 0) return;
  void* fake_stack = nullptr;  // kept across the announcement, not dropped
  __sanitizer_start_switch_fiber(&fake_stack, bottom, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

// Re-announces the main stack when sc_start returns or throws.
struct BackOnMainStack {
  ~BackOnMainStack() { back_on_main_stack(); }
};

}  // namespace

void run_simulation() {
  BackOnMainStack guard;
  sc_core::sc_start();
}

void run_simulation_for(double ns) {
  BackOnMainStack guard;
  sc_core::sc_start(ns, sc_core::SC_NS);
}

}  // namespace mxlab::sim
