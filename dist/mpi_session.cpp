// dist::MpiSession: MPI's lifetime in a process, and each rank's share of the machine's cores.
#include <mpi.h>

#include <algorithm>
#include <cstdlib>

#include "heed/core/parallel.h"
#include "heed/dist/mpi_replicas.h"

namespace heed::dist {

MpiSession::MpiSession() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised == 0) {
    // Only the main thread calls MPI; OpenMP's threads never do.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    initialised_here_ = true;
  }
  // N ranks on this machine share its cores: N teams of all the cores would take turns on them.
  if (const char* local_ranks = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) {
    const int ranks_here = std::max(1, std::atoi(local_ranks));
    set_num_threads(std::max(1, omp_get_num_procs() / ranks_here));
  }
}

MpiSession::~MpiSession() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (initialised_here_ && finalised == 0) MPI_Finalize();
}

}  // namespace heed::dist
