// dist::MpiSession and dist::MpiReplicas: data-parallel training over MPI (train/replicas.h).
//
//   int main() {
//     dist::MpiSession mpi;               // MPI_Init_thread .. MPI_Finalize; threads = cores / local ranks
//     dist::MpiReplicas replicas;         // every rank of MPI_COMM_WORLD
//     ...build the same model on every rank...
//     trainer.distribute(replicas);
//     trainer.fit(train_pairs, valid_pairs);
//   }
//   mpirun -np 2 ./program
//
// Gradients travel in buckets of about bucket_bytes, formed from the parameters in the reverse
// of their registration order (roughly the order backward finishes them). When every gradient of a
// bucket is ready, it is copied into the bucket's flat buffer and an MPI_Iallreduce(SUM) starts,
// while backward goes on; finish_gradients waits for the rest and copies the sums back. Buckets
// start in index order on every rank, as MPI requires of collectives.
//
// Every wait polls (MPI_Test) against a deadline, timeout_seconds. When one expires the rank prints
// "heed: error: rank R: <what> timed out after S s (another rank died or hangs)" and calls
// MPI_Abort, which ends every rank. No header of heed includes <mpi.h>: only dist/*.cpp do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "heed/train/replicas.h"

namespace heed::dist {

// Initialises MPI (unless it already is) and finalises it on destruction if it initialised it.
// With N ranks on one machine (OMPI_COMM_WORLD_LOCAL_SIZE), sets heed's threads (OpenMP and
// OpenBLAS) to max(1, cores / N), so the ranks do not oversubscribe the cores.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool initialised_here_ = false;
};

struct MpiOptions {
  int64_t bucket_bytes = 1 << 20;  // gradient bucket size (a bucket holds at least one parameter)
  double timeout_seconds = 0;      // every wait's limit; 0: HEED_MPI_TIMEOUT (seconds), else 300
};

class MpiReplicas final : public train::ReplicaGroup {
 public:
  // The ranks of MPI_COMM_WORLD; MPI must be initialised (MpiSession).
  explicit MpiReplicas(MpiOptions options = {});
  ~MpiReplicas() override;
  MpiReplicas(const MpiReplicas&) = delete;
  MpiReplicas& operator=(const MpiReplicas&) = delete;

  int rank() const override;
  int size() const override;
  double timeout_seconds() const;
  // The buckets of the last start_gradients: each one's parameter indices (registration order).
  std::vector<std::vector<size_t>> buckets() const;

  void check_same_model(const std::vector<std::pair<std::string, Tensor>>& named_parameters) override;
  void broadcast_parameters(const std::vector<Tensor>& parameters) override;
  double sum_scalar(double value) override;
  void start_gradients(const std::vector<Tensor>& parameters) override;
  void gradient_ready(const Tensor& parameter) override;
  void finish_gradients() override;
  [[noreturn]] void abort(const std::string& message) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace heed::dist
