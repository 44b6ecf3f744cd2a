// heed train --distributed: this process as one rank of a data-parallel run over MPI, or, when
// heed was built without MPI, the error that says how to get it. The only file of cli/ that
// knows whether MPI is there (HEED_HAS_MPI).
#pragma once

#include <memory>

#include "heed/train/replicas.h"

namespace heed::cli {

class Distributed {
 public:
  // Initialises MPI and joins MPI_COMM_WORLD; a UsageError when heed was built without MPI.
  Distributed();
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  train::ReplicaGroup& group();
  bool lead() const { return rank_ == 0; }  // rank 0 prints and writes files
  // Every rank waits here for every other (e.g. until rank 0 has written the model directory).
  void barrier();

 private:
  struct Session;
  std::unique_ptr<Session> session_;
  int rank_ = 0;
};

}  // namespace heed::cli
