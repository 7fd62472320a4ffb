// MPI ranks for sweeps (OpenMPI from Debian when found at configure time; a single rank otherwise).
#include "experiments/shard.hpp"

#include <cstdlib>
#include <iostream>

#ifdef MXLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace mxlab::experiments {

namespace {
bool under_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}
}  // namespace

Shard::Shard() {
#ifdef MXLAB_HAVE_MPI
  if (!under_mpirun()) return;
  int ready = 0;
  MPI_Initialized(&ready);
  if (!ready) MPI_Init(nullptr, nullptr);
  joined_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  if (under_mpirun()) std::cerr << "mxlab: started by mpirun, but built without MPI: every rank runs the whole sweep\n";
#endif
}

Shard::~Shard() {
#ifdef MXLAB_HAVE_MPI
  if (joined_) MPI_Finalize();
#endif
}

void Shard::barrier() const {
#ifdef MXLAB_HAVE_MPI
  if (joined_) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

std::size_t Shard::sum(std::size_t v) const {
#ifdef MXLAB_HAVE_MPI
  if (joined_) {
    unsigned long long in = v, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    return static_cast<std::size_t>(out);
  }
#endif
  return v;
}

void Shard::abort_all(const std::string& message) const {
  std::cerr << "mxlab: error: " << (size_ > 1 ? "rank " + std::to_string(rank_) + ": " : "") << message << std::endl;
#ifdef MXLAB_HAVE_MPI
  if (joined_) MPI_Abort(MPI_COMM_WORLD, 1);
#endif
  std::exit(1);
}

}  // namespace mxlab::experiments
