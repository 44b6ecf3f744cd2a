// Anomaly mode: find the first op whose forward output or backward gradient is NaN or Inf.
//
//   heed::DetectAnomalyGuard anomaly;             // or heed::set_detect_anomaly(true)
//   Tensor loss = model.forward(src, tgt_in);     // throws heed::AnomalyError at the first bad op
//   loss.backward();                              // throws at the first bad gradient
//
// When on:
//   - forward: every op that calls record() (every differentiable op, whether or not its inputs
//     require grad) has its output scanned; NaN or +Inf throws. -Inf alone is allowed, because
//     masking writes it on purpose (masked_fill(scores, mask, -inf) before a softmax); a -Inf that
//     matters turns into NaN downstream and is reported there, with the input that held it.
//   - backward: every gradient a node returns for its inputs is scanned; NaN or ±Inf throws.
// The message names the op, the shapes, and the module path where the op ran: models and nn
// containers open an AnomalyScope("encoder"), AnomalyScope("layers", 0) ... around their parts,
// and the recorded Node keeps the path so backward can name it too.
// When off, each op pays one relaxed atomic load and each AnomalyScope one more: nothing else.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "heed/core/error.h"
#include "heed/core/tensor.h"

namespace heed {

// The error anomaly mode throws (a heed::Error, so existing handlers catch it).
class AnomalyError : public Error {
 public:
  using Error::Error;
  [[noreturn]] void rethrow_with_context(const std::string& context) const override {
    throw AnomalyError(context + what());
  }
};

namespace detail {
inline std::atomic<bool> anomaly_mode{false};
}  // namespace detail

// Process-wide switch (all threads).
inline bool detect_anomaly() { return detail::anomaly_mode.load(std::memory_order_relaxed); }
inline void set_detect_anomaly(bool on) { detail::anomaly_mode.store(on, std::memory_order_relaxed); }

// Turns anomaly mode on (or off) for a scope and restores the previous setting after.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool on = true) : previous_(detect_anomaly()) { set_detect_anomaly(on); }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

// Names the module the ops in this scope belong to, on this thread: nested scopes join with dots
// ("decoder" then ("layers", 1) gives "decoder.layers.1", the prefix of the module's parameter
// names). Does nothing, and formats nothing, when anomaly mode is off.
class AnomalyScope {
 public:
  explicit AnomalyScope(std::string_view name) {
    if (detect_anomaly()) push(name);
  }
  AnomalyScope(std::string_view name, int64_t index) {
    if (detect_anomaly()) push(std::string(name) + "." + std::to_string(index));
  }
  ~AnomalyScope();
  AnomalyScope(const AnomalyScope&) = delete;
  AnomalyScope& operator=(const AnomalyScope&) = delete;

 private:
  void push(std::string_view name);
  bool pushed_ = false;
};

// The innermost scope's full path on this thread, or null outside every scope.
std::shared_ptr<const std::string> anomaly_module_path();

// Throws AnomalyError if `output` of op holds NaN or +Inf (skipped while backward runs, whose own
// arithmetic is checked as gradients instead).
void check_forward_anomaly(const char* op, const Tensor& output, std::span<const Tensor> inputs);

// Throws AnomalyError if `grad`, the gradient op returned for its input `input`, holds NaN or Inf.
void check_gradient_anomaly(const char* op, const std::string* module_path, size_t input, const Tensor& grad);

// Marks the current thread as running backward for the scope: forward checks pause.
class AnomalyBackwardScope {
 public:
  AnomalyBackwardScope();
  ~AnomalyBackwardScope();
  AnomalyBackwardScope(const AnomalyBackwardScope&) = delete;
  AnomalyBackwardScope& operator=(const AnomalyBackwardScope&) = delete;

 private:
  bool previous_;
};

}  // namespace heed
