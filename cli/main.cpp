// The `heed` command: train translation models, translate with them, score them, write the toy
// tasks as TSV files.
//
//   heed train --task copy --steps 500 --out runs/copy
//   heed translate --model runs/copy "3 1 4 1 5"
//   heed eval --model runs/copy --test data/test.tsv --beam 4
//   heed tasks
//   heed task dates --out data/dates
//   heed plot --out compare.svg right=runs/right broken=runs/broken
//   heed bench transformer --config tiny
//
// Every mistake ends the same way: one line "heed: error: ..." on stderr and a non-zero exit
// status: 2 for a wrong command line (unknown command or option, a value out of range), 1 for a
// failure while running (a missing file, a malformed model directory, training that diverged).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "heed/core/error.h"
#include "usage.h"

namespace {

constexpr int kRuntimeFailure = 1, kUsageFailure = 2;

// One line, whatever the message holds.
void report_error(std::string_view message) {
  std::string line(message);
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "heed: error: %s\n", line.c_str());
}

struct Command {
  const char* name;
  const char* description;
  heed::cli::Runner (*add)(CLI::App&);
};

constexpr Command kCommands[] = {
    {"train", "train a translation model on a toy task or on TSV files", heed::cli::add_train_command},
    {"translate", "translate sentences with a trained model", heed::cli::add_translate_command},
    {"eval", "score a trained model on a TSV test set", heed::cli::add_eval_command},
    {"tasks", "list the built-in toy tasks", heed::cli::add_tasks_command},
    {"task", "write a toy task's train/valid/test splits as TSV files", heed::cli::add_task_command},
    {"plot", "overlay the metrics.csv of several runs in one SVG", heed::cli::add_plot_command},
    {"bench", "time training steps of the benchmark workloads, or OpenBLAS's sgemm", heed::cli::add_bench_command},
};

std::string command_names() {
  std::string names;
  for (const Command& command : kCommands) names += std::string(names.empty() ? "" : ", ") + command.name;
  return names;
}

int run(int argc, char** argv) {
  CLI::App app{"heed: train translation models and translate with them (a C++20 deep-learning framework)", "heed"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, heed::cli::Runner>> runners;
  for (const Command& command : kCommands) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    runners.emplace_back(sub, command.add(*sub));
  }

  if (argc < 2) throw heed::cli::UsageError(fmt::format("no command given (commands: {}; see heed --help)", command_names()));
  const std::string_view first = argv[1];
  if (!first.starts_with("-")) {
    bool known = false;
    for (const Command& command : kCommands) known = known || first == command.name;
    heed::cli::require(known, "unknown command '{}' (commands: {}; see heed --help)", first, command_names());
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: printed, success
    throw heed::cli::UsageError(e.what());
  }
  for (auto& [sub, runner] : runners)
    if (sub->parsed()) return runner();
  return 0;
}

}  // namespace

// Processes runnable besides this one: the least of five looks at /proc/loadavg's fourth field
// ("runnable/total", counting this process), 10 ms apart. A busy process is runnable at every
// look; one passing by is not. -1 when the file cannot be read.
int other_runnable_processes() {
  int least = -1;
  for (int look = 0; look < 5; ++look) {
    if (look > 0) ::usleep(10000);
    std::FILE* file = std::fopen("/proc/loadavg", "r");
    if (file == nullptr) return -1;
    int runnable = 0;
    const bool read = std::fscanf(file, "%*f %*f %*f %d/", &runnable) == 1;
    std::fclose(file);
    if (!read) return -1;
    least = least < 0 ? runnable - 1 : std::min(least, runnable - 1);
  }
  return least;
}

// How OpenMP's threads wait between parallel regions, chosen as the command starts. A training
// step opens about a thousand regions (every GEMM OpenBLAS threads is one): a thread that sleeps
// between them (OMP_WAIT_POLICY=passive) costs a futex wake-up each time, and the LSTM
// benchmark's step took 0.22–0.38 s that way against 0.13–0.19 s when threads spin up to 10,000
// times first (GOMP_SPINCOUNT; alternated runs on this 2-core machine). But when another process
// is running, a spinning thread steals the core its partner needs: beside one busy process the
// same step took 0.33 s passive and 0.66 s spinning, and libgomp's default spin of 300,000 made
// 100 steps of a small Transformer take 43 s instead of 6 s. So: bounded spinning when no other
// process is running, passive waiting otherwise. libgomp reads both variables once, as the
// program loads, so the command sets one and starts itself again. A user's own OMP_WAIT_POLICY or
// GOMP_SPINCOUNT is kept; if the restart fails, the command carries on.
void choose_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  const bool machine_to_ourselves = other_runnable_processes() == 0;
  const int set = machine_to_ourselves ? ::setenv("GOMP_SPINCOUNT", "10000", 1)
                                       : ::setenv("OMP_WAIT_POLICY", "passive", 1);
  if (set != 0) return;
  ::execv("/proc/self/exe", argv);
}

int main(int argc, char** argv) {
  choose_wait_policy(argv);
  // A file-size limit (ulimit -f) then makes a write fail with EFBIG, which heed reports like a
  // full disk, instead of killing the process with SIGXFSZ mid-save.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const heed::cli::UsageError& e) {
    report_error(e.what());
    return kUsageFailure;
  } catch (const heed::Error& e) {
    report_error(e.what());
    return kRuntimeFailure;
  } catch (const std::exception& e) {
    report_error(e.what());
    return kRuntimeFailure;
  } catch (...) {
    report_error("an unknown failure");
    return kRuntimeFailure;
  }
}
