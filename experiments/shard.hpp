// Sharding a sweep over MPI ranks (`mpirun -n K mxlab sweep SPEC`): point k of the points left to compute goes
// to rank k mod K; every rank loads the model once and writes its own point files, rank 0 merges them.
// Without MPI built in, or in a process mpirun did not start, this is a single rank and MPI is never touched.
#pragma once
#include <cstddef>
#include <string>

namespace mxlab::experiments {

class Shard {
 public:
  // Joins MPI_COMM_WORLD when MPI is built in and mpirun started this process (OMPI_COMM_WORLD_SIZE, PMI_SIZE or
  // PMIX_RANK set).
  Shard();
  ~Shard();  // MPI_Finalize when it joined
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool mine(std::size_t k) const { return static_cast<int>(k % static_cast<std::size_t>(size_)) == rank_; }
  void barrier() const;
  std::size_t sum(std::size_t v) const;  // over all ranks
  // One rank failed: prints `message` and ends every rank (MPI_Abort), since the others would wait forever.
  [[noreturn]] void abort_all(const std::string& message) const;

 private:
  int rank_ = 0, size_ = 1;
  bool joined_ = false;
};

}  // namespace mxlab::experiments
