// dist::MpiReplicas: the model check, the broadcast, scalar sums and the bucketed gradient
// all-reduce of a data-parallel run, every wait under a deadline.
#include "heed/dist/mpi_replicas.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unordered_map>

#include "heed/core/autograd.h"
#include "heed/core/error.h"
#include "heed/core/format.h"

namespace heed::dist {
namespace {

using Clock = std::chrono::steady_clock;

double timeout_from_environment() {
  const char* text = std::getenv("HEED_MPI_TIMEOUT");
  if (text == nullptr || *text == '\0') return 300;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  HEED_CHECK(*end == '\0' && std::isfinite(seconds) && seconds > 0, "MpiReplicas",
             "HEED_MPI_TIMEOUT is '{}'; expected a positive number of seconds", text);
  return seconds;
}

[[noreturn]] void abort_job(int rank, const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "heed: error: rank {}: {}\n", rank, message);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);  // not reached: MPI_Abort ends the process, but is not declared [[noreturn]]
}

// MPI counts are ints.
int mpi_count(size_t count, const char* what) {
  HEED_CHECK(count <= static_cast<size_t>(INT_MAX), "MpiReplicas", "{} has {} values; MPI sends at most {} at once",
             what, count, INT_MAX);
  return static_cast<int>(count);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

void check_dense(const Tensor& parameter, size_t index) {
  HEED_CHECK(parameter.is_contiguous(), "MpiReplicas", "parameter {} of shape {} is not contiguous", index,
             parameter.shape());
}

}  // namespace

// A group of parameters whose gradients travel in one all-reduce.
struct Bucket {
  std::vector<size_t> parameters;  // indices into State::parameters
  std::vector<float> flat;         // their gradients, back to back
  int64_t pending = 0;             // gradients not yet ready in this pass
  MPI_Request request = MPI_REQUEST_NULL;
};

struct MpiReplicas::State {
  int rank = 0, size = 1;
  double timeout = 300;
  int64_t bucket_bytes = 1 << 20;
  std::vector<Tensor> parameters;
  std::vector<Bucket> buckets;
  std::unordered_map<const TensorImpl*, size_t> index_of;  // parameter -> index
  std::vector<size_t> bucket_of;                           // parameter index -> bucket
  std::vector<bool> ready;                                 // parameter index -> ready in this pass
  size_t next_to_start = 0;                                // buckets start in index order

  // Polls `request` until it completes; past the deadline, ends the job naming `what`.
  void wait(MPI_Request& request, const std::string& what) const {
    const Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout));
    // MPI moves a non-blocking collective along only inside MPI calls, so test without pause for
    // a while (a large all-reduce of a healthy job takes milliseconds); past that, a rank is
    // waiting for a slower one: test every 100 µs and leave the core to others.
    const Clock::time_point spin_until = Clock::now() + std::chrono::milliseconds(50);
    for (;;) {
      int done = 0;
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done != 0) return;
      const Clock::time_point now = Clock::now();
      if (now > deadline)
        abort_job(rank, fmt::format("{} timed out after {} s (another rank died or hangs)", what, timeout));
      if (now > spin_until) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  // Buckets over the parameters in reverse registration order, each up to bucket_bytes (at least
  // one parameter). Kept while the same parameters come back.
  void build_buckets(const std::vector<Tensor>& new_parameters) {
    const bool same = new_parameters.size() == parameters.size() &&
                      std::equal(new_parameters.begin(), new_parameters.end(), parameters.begin(),
                                 [](const Tensor& a, const Tensor& b) { return a.impl() == b.impl(); });
    if (same) return;
    parameters = new_parameters;
    buckets.clear();
    index_of.clear();
    bucket_of.assign(parameters.size(), 0);
    const size_t capacity = std::max<size_t>(1, static_cast<size_t>(bucket_bytes) / sizeof(float));
    size_t filled = 0;
    for (size_t i = parameters.size(); i-- > 0;) {
      check_dense(parameters[i], i);
      const auto count = static_cast<size_t>(parameters[i].numel());
      if (buckets.empty() || (filled > 0 && filled + count > capacity)) {
        buckets.emplace_back();
        filled = 0;
      }
      buckets.back().parameters.push_back(i);
      filled += count;
      buckets.back().flat.resize(filled);
      mpi_count(filled, "a gradient bucket");
      index_of[parameters[i].impl()] = i;
      bucket_of[i] = buckets.size() - 1;
    }
  }

  // Copies a bucket's gradients (zeros where a parameter has none) and starts its all-reduce.
  void start(size_t b) {
    Bucket& bucket = buckets[b];
    float* out = bucket.flat.data();
    for (size_t i : bucket.parameters) {
      const Tensor grad = parameters[i].grad();
      const auto count = static_cast<size_t>(parameters[i].numel());
      if (grad.defined())
        std::copy_n(grad.data<float>(), count, out);  // a leaf's grad is dense (core/autograd.cpp)
      else
        std::fill_n(out, count, 0.0f);
      out += count;
    }
    MPI_Iallreduce(MPI_IN_PLACE, bucket.flat.data(), static_cast<int>(bucket.flat.size()), MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &bucket.request);
  }

  void start_ready_buckets() {
    while (next_to_start < buckets.size() && buckets[next_to_start].pending == 0) start(next_to_start++);
  }

  // MPI moves non-blocking collectives along only inside MPI calls: test the ones in flight.
  void progress() {
    for (Bucket& bucket : buckets) {
      if (bucket.request == MPI_REQUEST_NULL) continue;
      int done = 0;
      MPI_Test(&bucket.request, &done, MPI_STATUS_IGNORE);
    }
  }
};

MpiReplicas::MpiReplicas(MpiOptions options) : state_(std::make_unique<State>()) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  HEED_CHECK(initialised != 0, "MpiReplicas", "MPI is not initialised; create a dist::MpiSession first");
  HEED_CHECK(options.bucket_bytes >= 1, "MpiReplicas", "bucket_bytes is {}; expected at least 1", options.bucket_bytes);
  HEED_CHECK(options.timeout_seconds >= 0, "MpiReplicas", "timeout_seconds is {}; expected >= 0 (0: HEED_MPI_TIMEOUT or 300)",
             options.timeout_seconds);
  MPI_Comm_rank(MPI_COMM_WORLD, &state_->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &state_->size);
  state_->bucket_bytes = options.bucket_bytes;
  state_->timeout = options.timeout_seconds > 0 ? options.timeout_seconds : timeout_from_environment();
}

MpiReplicas::~MpiReplicas() = default;

int MpiReplicas::rank() const { return state_->rank; }
int MpiReplicas::size() const { return state_->size; }
double MpiReplicas::timeout_seconds() const { return state_->timeout; }

std::vector<std::vector<size_t>> MpiReplicas::buckets() const {
  std::vector<std::vector<size_t>> result;
  for (const Bucket& bucket : state_->buckets) result.push_back(bucket.parameters);
  return result;
}

void MpiReplicas::check_same_model(const std::vector<std::pair<std::string, Tensor>>& named_parameters) {
  std::string layout;
  uint64_t values = 0;
  for (const auto& [name, parameter] : named_parameters) {
    layout += fmt::format("{} {};", name, parameter.shape());
    values += static_cast<uint64_t>(parameter.numel());
  }
  const uint64_t mine[3] = {fnv1a(layout), named_parameters.size(), values};
  std::vector<uint64_t> all(3 * static_cast<size_t>(state_->size));
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallgather(mine, 3, MPI_UINT64_T, all.data(), 3, MPI_UINT64_T, MPI_COMM_WORLD, &request);
  state_->wait(request, "the model check");
  for (int other = 1; other < state_->size; ++other) {
    const uint64_t* theirs = &all[3 * static_cast<size_t>(other)];
    HEED_CHECK(std::equal(theirs, theirs + 3, all.data()), "MpiReplicas::check_same_model",
               "rank {}'s model differs from rank 0's: {} parameter tensors with {} values against {} with {}{}; "
               "every rank must build the same model (same options, vocabularies and data)",
               other, theirs[1], theirs[2], all[1], all[2],
               theirs[1] == all[1] && theirs[2] == all[2] ? " (the same counts, other names or shapes)" : "");
  }
}

void MpiReplicas::broadcast_parameters(const std::vector<Tensor>& parameters) {
  size_t total = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    check_dense(parameters[i], i);
    total += static_cast<size_t>(parameters[i].numel());
  }
  std::vector<float> flat(total);
  float* cursor = flat.data();
  if (state_->rank == 0)
    for (const Tensor& parameter : parameters)
      cursor = std::copy_n(parameter.data<float>(), parameter.numel(), cursor);
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibcast(flat.data(), mpi_count(total, "the model"), MPI_FLOAT, 0, MPI_COMM_WORLD, &request);
  state_->wait(request, "the broadcast of the parameters");
  if (state_->rank == 0) return;
  NoGradGuard no_grad;
  const float* from = flat.data();
  for (const Tensor& parameter : parameters) {
    std::copy_n(from, parameter.numel(), parameter.mutable_data<float>());
    from += parameter.numel();
  }
}

double MpiReplicas::sum_scalar(double value) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Iallreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request);
  state_->wait(request, "the all-reduce of a scalar");
  return value;
}

void MpiReplicas::start_gradients(const std::vector<Tensor>& parameters) {
  State& s = *state_;
  for (const Bucket& bucket : s.buckets)
    HEED_CHECK(bucket.request == MPI_REQUEST_NULL, "MpiReplicas::start_gradients",
               "the last pass's gradients are still in flight; call finish_gradients first");
  s.build_buckets(parameters);
  for (Bucket& bucket : s.buckets) bucket.pending = static_cast<int64_t>(bucket.parameters.size());
  s.ready.assign(s.parameters.size(), false);
  s.next_to_start = 0;
}

void MpiReplicas::gradient_ready(const Tensor& parameter) {
  State& s = *state_;
  const auto found = s.index_of.find(parameter.impl());
  if (found == s.index_of.end() || s.ready[found->second]) return;  // a leaf that is not a parameter
  s.ready[found->second] = true;
  if (--s.buckets[s.bucket_of[found->second]].pending == 0) s.start_ready_buckets();
  s.progress();
}

void MpiReplicas::finish_gradients() {
  State& s = *state_;
  // Buckets still waiting for a gradient that never came (a parameter this pass did not use, or a
  // rank without rows) count it as zero.
  while (s.next_to_start < s.buckets.size()) s.start(s.next_to_start++);
  NoGradGuard no_grad;
  for (size_t b = 0; b < s.buckets.size(); ++b) {
    Bucket& bucket = s.buckets[b];
    s.wait(bucket.request, fmt::format("all-reduce of bucket {}", b));
    const float* from = bucket.flat.data();
    for (size_t i : bucket.parameters) {
      const Tensor& parameter = s.parameters[i];
      if (!parameter.grad().defined()) parameter.set_grad(Tensor::empty(parameter.shape()));
      std::copy_n(from, parameter.numel(), parameter.grad().mutable_data<float>());
      from += parameter.numel();
    }
  }
}

void MpiReplicas::abort(const std::string& message) { abort_job(state_->rank, message); }

}  // namespace heed::dist
