// The subcommands of `heed`. Each add_*_command registers its options on the subcommand's own
// CLI::App and returns what to run once the command line has been parsed; main.cpp dispatches.
// Each returns the exit status; errors are thrown (cli::UsageError, heed::Error) and reported by
// main as one line.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace heed::cli {

using Runner = std::function<int()>;

Runner add_train_command(CLI::App& command);      // heed train      (cli/train_command.cpp)
Runner add_translate_command(CLI::App& command);  // heed translate  (cli/translate_command.cpp)
Runner add_eval_command(CLI::App& command);       // heed eval       (cli/eval_command.cpp)
Runner add_tasks_command(CLI::App& command);      // heed tasks      (cli/task_commands.cpp)
Runner add_task_command(CLI::App& command);       // heed task NAME  (cli/task_commands.cpp)
Runner add_plot_command(CLI::App& command);       // heed plot       (cli/plot_command.cpp)
Runner add_bench_command(CLI::App& command);      // heed bench      (cli/bench_command.cpp)

}  // namespace heed::cli
