// Coarse-grained parallelism for PTQ calibration and evaluation: independent work items (calibration windows,
// generated samples, evaluation texts) spread over OpenMP threads, each item computed serially inside, so a
// small model pays one parallel region per pass instead of a thread synchronization per GEMM and attention head.
#pragma once
#include <omp.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>

#include "model/runtime.hpp"

namespace mxlab::algorithms {

// Inside a parallel region: nested work (Eigen GEMMs, the runtime's parallel loops) runs on this thread as in a
// single-threaded run. Needed for equal bits: Eigen sizes its GEMM blocking from omp_get_max_threads(), and
// left at the outer thread count, GEMMs inside the runtime's own (nested, inactive) parallel loops rounded
// differently from both a single- and a multi-threaded run (seen in evaluation with MXINT8 activations).
inline void serial_inside() { omp_set_num_threads(1); }

// Calls fn(i) for i in [begin, end) on the OpenMP threads (dynamic schedule); the first exception thrown is
// rethrown here after the loop. Work nested inside fn runs serially (serial_inside): the same arithmetic as a
// single-threaded run.
inline void parallel_items(std::size_t begin, std::size_t end, const std::function<void(std::size_t)>& fn) {
  std::exception_ptr error;
  const auto n = static_cast<std::ptrdiff_t>(end - begin);
#pragma omp parallel if (n > 1)
  {
    serial_inside();
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      try {
        fn(begin + static_cast<std::size_t>(i));
      } catch (...) {
#pragma omp critical(mxlab_parallel_items_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

// Advances a runtime's forward-call counter by n, as n forward calls would (Runtime::run_layers over no
// layers counts as one call): a copy of a runtime that computes item i of a sequential loop draws the
// stochastic-rounding streams the sequential loop would have drawn for it.
inline void skip_forward_calls(model::Runtime& rt, std::size_t n) {
  model::Matrix none(0, rt.config().dim);
  for (std::size_t i = 0; i < n; ++i) rt.run_layers(none, 0, 0);
}

// Calls fn(copy, i) for i in [begin, end) in parallel, where fn makes exactly one forward call (run_layers) on
// `copy`: each thread works on its own copy of rt whose forward-call counter stands where a sequential loop
// over rt would have had it at item i; afterwards rt has advanced by end - begin calls, as after that loop.
inline void parallel_runs(model::Runtime& rt, std::size_t begin, std::size_t end,
                          const std::function<void(model::Runtime&, std::size_t)>& fn) {
  std::exception_ptr error;
  const auto n = static_cast<std::ptrdiff_t>(end - begin);
#pragma omp parallel if (n > 1)
  {
    serial_inside();
    std::optional<model::Runtime> copy;
    std::size_t at = 0;  // the item copy's counter stands at
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      try {
        if (!copy) copy.emplace(rt);
        skip_forward_calls(*copy, static_cast<std::size_t>(i) - at);  // a thread's items come in increasing order
        fn(*copy, begin + static_cast<std::size_t>(i));
        at = static_cast<std::size_t>(i) + 1;
      } catch (...) {
#pragma omp critical(mxlab_parallel_runs_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  skip_forward_calls(rt, end - begin);
}

}  // namespace mxlab::algorithms
