// Ctrl-C during training: while an InterruptGuard lives, SIGINT and SIGTERM only set a flag (an
// async-signal-safe lock-free atomic store), which train::Trainer checks between updates
// (Trainer::stop_on) to save a checkpoint and stop cleanly. A second signal ends the program the
// usual way. The guard restores the previous handlers when it goes.
#pragma once

#include <atomic>
#include <csignal>

namespace heed::cli {

// The exit status of a run stopped by a signal, as shells report SIGINT (128 + 2).
inline constexpr int kInterruptedStatus = 130;

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // True once SIGINT or SIGTERM arrived.
  const std::atomic<bool>& flag() const;

 private:
  struct sigaction previous_int_ = {}, previous_term_ = {};
};

}  // namespace heed::cli
