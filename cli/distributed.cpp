// cli::Distributed: dist::MpiSession and dist::MpiReplicas behind heed train --distributed.
#include "distributed.h"

#include "usage.h"

#if HEED_HAS_MPI
#include "heed/dist/mpi_replicas.h"
#endif

namespace heed::cli {

#if HEED_HAS_MPI

struct Distributed::Session {
  dist::MpiSession mpi;
  dist::MpiReplicas replicas;
};

Distributed::Distributed() : session_(std::make_unique<Session>()), rank_(session_->replicas.rank()) {}

train::ReplicaGroup& Distributed::group() { return session_->replicas; }

void Distributed::barrier() { session_->replicas.sum_scalar(0); }

#else

struct Distributed::Session {};

Distributed::Distributed() {
  require(false, "--distributed: this heed was built without MPI; install libopenmpi-dev and openmpi-bin "
                 "(scripts/setup does), then configure and build heed again");
}

train::ReplicaGroup& Distributed::group() { throw UsageError("--distributed: heed was built without MPI"); }

void Distributed::barrier() {}

#endif

Distributed::~Distributed() = default;

}  // namespace heed::cli
