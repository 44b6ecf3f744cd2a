// mpi_bench_allreduce: the gradient all-reduce of a data-parallel step, heed's bucketed path
// (dist::MpiReplicas: start_gradients, gradient_ready per parameter in backward's order,
// finish_gradients) against one plain MPI_Allreduce of a flat buffer of the same size, for the
// parameter layouts of the benchmark workloads' Transformers (train/benchmark.h). Run it under
// mpirun; it prints one line per workload and bucket size from rank 0:
//
//   mpirun --allow-run-as-root --oversubscribe -np 2 build/bin/mpi_bench_allreduce [repeats]
//
// Times are medians over `repeats` (default 20) after 2 untimed rounds. Bandwidths follow the
// usual convention: algbw = bytes / time, busbw = algbw · 2(N − 1) / N, what each rank's link
// carries in a ring all-reduce. No compute overlaps the communication here: this is the time
// the ranks would wait if backward had nothing left to do.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <heed/heed.h>

using namespace heed;

namespace {

using Clock = std::chrono::steady_clock;

struct Layout {
  std::string name;
  models::TransformerConfig config;
};

// The Transformers of train/benchmark.h (post-norm with final LayerNorms, as nn.Transformer).
std::vector<Layout> layouts() {
  auto config = [](int64_t vocab, int64_t d, int64_t heads, int64_t ff, int64_t layers) {
    return models::TransformerConfig{.source_vocab_size = vocab, .target_vocab_size = vocab, .d_model = d,
                                     .nhead = heads, .num_encoder_layers = layers, .num_decoder_layers = layers,
                                     .dim_feedforward = ff, .dropout = 0.0f, .norm_first = false, .final_norms = true};
  };
  return {{"tiny", config(1000, 128, 4, 512, 2)}, {"small", config(8000, 256, 4, 1024, 3)},
          {"base", config(8000, 512, 8, 2048, 3)}};
}

template <class F>
double median_seconds(int repeats, dist::MpiReplicas& replicas, F&& run) {
  for (int i = 0; i < 2; ++i) run();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    replicas.sum_scalar(0);  // start together
    const Clock::time_point start = Clock::now();
    run();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  dist::MpiSession mpi;
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  dist::MpiReplicas probe;
  const int ranks = probe.size();
  const bool lead = probe.rank() == 0;
  if (lead)
    fmt::print("mpi_bench_allreduce: {} ranks, median of {} rounds; busbw = algbw * 2(N-1)/N\n", ranks, repeats);
  for (const Layout& layout : layouts()) {
    manual_seed(1);
    const std::shared_ptr<models::Transformer> model = std::make_shared<models::Transformer>(layout.config);
    const std::vector<Tensor> parameters = model->parameters();
    for (const Tensor& parameter : parameters) parameter.set_grad(ones(parameter.shape()));
    const double bytes = static_cast<double>(model->parameter_count()) * sizeof(float);
    auto report = [&](const std::string& path, double seconds) {
      const double algbw = bytes / seconds / 1e9;
      if (lead)
        fmt::print("{:5} {:>9} params {:7.1f} MiB  {:<20} {:8.2f} ms  algbw {:6.2f} GB/s  busbw {:6.2f} GB/s\n",
                   layout.name, model->parameter_count(), bytes / (1 << 20), path, seconds * 1e3, algbw,
                   algbw * 2.0 * (ranks - 1) / ranks);
    };
    std::vector<float> flat(static_cast<size_t>(model->parameter_count()), 1.0f);
    report("flat MPI_Allreduce", median_seconds(repeats, probe, [&] {
             MPI_Allreduce(MPI_IN_PLACE, flat.data(), static_cast<int>(flat.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
           }));
    for (int64_t bucket_mib : {1, 4, 16}) {
      dist::MpiReplicas replicas({.bucket_bytes = bucket_mib << 20});
      const double seconds = median_seconds(repeats, replicas, [&] {
        replicas.start_gradients(parameters);
        for (auto parameter = parameters.rbegin(); parameter != parameters.rend(); ++parameter)
          replicas.gradient_ready(*parameter);
        replicas.finish_gradients();
      });
      report(fmt::format("buckets {} MiB ({})", bucket_mib, replicas.buckets().size()), seconds);
    }
  }
  return 0;
}
