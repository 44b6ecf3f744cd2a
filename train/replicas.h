// train::ReplicaGroup: the processes of a data-parallel run, as the Trainer sees them.
//
// Each process (rank) holds a full replica of the model. The Trainer gives every rank the same
// global batch, each rank trains on its own contiguous shard of the batch's sentence pairs, and a
// ReplicaGroup sums the gradients over the ranks during and after backward, so every rank takes
// the same optimizer step. train/ knows only this interface; dist/mpi_replicas.h implements it
// with MPI (built when CMake finds MPI, HEED_HAS_MPI), and the tests may implement it in memory.
//
//   dist::MpiSession mpi;                        // MPI_Init .. MPI_Finalize
//   dist::MpiReplicas replicas;                  // MPI_COMM_WORLD
//   train::Trainer trainer(translator, options);
//   trainer.distribute(replicas);                // only rank 0 should add observers
//   trainer.fit(train_pairs, valid_pairs);
//
// Every method except rank(), size() and abort() is collective: every rank calls it, in the same
// order. A rank that dies or hangs must not leave the others waiting forever: implementations
// guard every wait with a timeout and end the whole job (abort) when it expires.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "heed/core/tensor.h"

namespace heed::train {

class ReplicaGroup {
 public:
  virtual ~ReplicaGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // heed::Error on every rank, naming the first rank whose parameters (names, shapes, count)
  // differ from rank 0's. Call before broadcast_parameters.
  virtual void check_same_model(const std::vector<std::pair<std::string, Tensor>>& named_parameters) = 0;
  // Rank 0's values into every rank's parameters.
  virtual void broadcast_parameters(const std::vector<Tensor>& parameters) = 0;
  // The sum over the ranks of `value` (losses, counts), on every rank.
  virtual double sum_scalar(double value) = 0;

  // One backward pass's gradient sum, in three steps. start_gradients before backward, with the
  // same parameters (in registration order) every pass; gradient_ready from the engine's
  // LeafGradReady hook as each gradient becomes final (it may start sending it); after backward,
  // finish_gradients leaves in each parameter's .grad() the sum of the ranks' gradients (a
  // parameter without a gradient on some rank counts as zero there).
  virtual void start_gradients(const std::vector<Tensor>& parameters) = 0;
  virtual void gradient_ready(const Tensor& parameter) = 0;
  virtual void finish_gradients() = 0;

  // Ends the whole job after an error on this rank, printing `message` with the rank: the other
  // ranks may be waiting for this one in a collective and would otherwise hang.
  [[noreturn]] virtual void abort(const std::string& message) = 0;
};

// The rows [begin, end) of a global batch of `rows` sentence pairs that `rank` of `ranks` trains
// on: contiguous, disjoint, covering the batch, sizes differing by at most one.
std::pair<int64_t, int64_t> shard_rows(int64_t rows, int rank, int ranks);

// The seed of rank `rank`'s random stream (dropout): `seed` itself on rank 0, so a group of one
// reproduces a single process; a different, fixed stream on every other rank.
uint64_t rank_seed(uint64_t seed, int rank);

}  // namespace heed::train
