// train::Trainer: batches -> forward -> cross-entropy -> backward -> clip -> AdamW -> schedule,
// with periodic records and validations.
#include "heed/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "heed/core/autograd.h"
#include "heed/core/error.h"
#include "heed/core/random.h"
#include "heed/data/batch.h"
#include "heed/data/metrics.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/loss.h"
#include "heed/ops/shape.h"
#include "heed/optim/adam.h"
#include "heed/optim/clip.h"
#include "heed/optim/schedule.h"
#include "heed/train/eval_mode.h"
#include "heed/train/nan_guard.h"

namespace heed::train {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<optim::Schedule> make_schedule(optim::Optimizer& optimizer, const TrainOptions& options) {
  if (options.schedule == LrSchedule::WarmupCosine)
    return std::make_unique<optim::WarmupCosineSchedule>(
        optimizer, optim::WarmupCosineOptions{.base_lr = options.lr, .warmup_steps = options.warmup,
                                              .total_steps = options.steps, .min_lr = options.min_lr});
  // Noam's formula with d_model = 1 peaks at factor / √warmup: factor = lr·√warmup peaks at lr.
  return std::make_unique<optim::NoamSchedule>(
      optimizer, optim::NoamOptions{.d_model = 1, .warmup_steps = options.warmup,
                                    .factor = options.lr * std::sqrt(static_cast<double>(options.warmup))});
}

// Cross-entropy of logits (B, T, V) against targets (B, T), padding ignored.
Tensor sequence_loss(const Tensor& logits, const Tensor& targets, int64_t pad, float label_smoothing,
                     ops::Reduction reduction) {
  const int64_t rows = logits.size(0) * logits.size(1);
  return ops::cross_entropy(ops::reshape(logits, {rows, logits.size(2)}), ops::reshape(targets, {rows}),
                            {.ignore_index = pad, .label_smoothing = label_smoothing, .reduction = reduction});
}

// The pairs' count and FNV-1a hash: a resumed run must train on the same data in the same order.
std::string data_fingerprint(const std::vector<data::SentencePair>& pairs) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto add = [&hash](char c) { hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL; };
  for (const auto& [source, target] : pairs) {
    for (char c : source) add(c);
    add('\t');
    for (char c : target) add(c);
    add('\n');
  }
  return fmt::format("{} pairs, hash {:016x}", pairs.size(), hash);
}

// What error messages call a checkpoint: its file, if it came from one.
std::string file_of(const Checkpoint& checkpoint) {
  return checkpoint.source.empty() ? std::string("the checkpoint") : checkpoint.source;
}

// Loads a checkpoint's three state dicts, all or nothing. Each load checks everything before it
// writes; the optimizer and the schedule, made for this run and seen by nobody else yet, go
// first, and the model, the one object the caller sees, only once they fit. Errors name the
// checkpoint's file and the key.
void restore_state(const Checkpoint& checkpoint, models::Seq2Seq& model, optim::Optimizer& optimizer,
                   optim::Schedule& schedule) {
  const std::string file = file_of(checkpoint);
  auto load = [&](const char* part, auto&& load_part) {
    try {
      load_part();
    } catch (const Error& e) {
      throw Error(fmt::format("Trainer::fit: {}: its {} state (keys {}.*) does not fit: {}", file, part, part, e.what()));
    }
  };
  load("optimizer", [&] { optimizer.load_state_dict(checkpoint.optimizer); });
  for (size_t i = 0; i < optimizer.parameters().size(); ++i)
    HEED_CHECK(optimizer.steps_taken(i) <= checkpoint.step, "Trainer::fit",
               "{}: 'optimizer.state.{}.step' is {}, beyond the checkpoint's step {}", file, i,
               optimizer.steps_taken(i), checkpoint.step);
  load("schedule", [&] { schedule.load_state_dict(checkpoint.schedule); });
  HEED_CHECK(schedule.steps_taken() == checkpoint.step, "Trainer::fit",
             "{}: 'schedule.step' is {}, but the checkpoint is of step {}", file, schedule.steps_taken(), checkpoint.step);
  load("model", [&] { model.load_state_dict(checkpoint.model); });
}

}  // namespace

void validate(const TrainOptions& o) {
  auto check = [](bool ok, const std::string& message) { HEED_CHECK(ok, "TrainOptions", "{}", message); };
  check(o.steps >= 1, fmt::format("steps must be at least 1 (got {})", o.steps));
  check(o.max_tokens >= 1, fmt::format("max_tokens must be at least 1 (got {})", o.max_tokens));
  check(std::isfinite(o.lr) && o.lr > 0, fmt::format("lr must be positive (got {})", o.lr));
  check(o.warmup >= (o.schedule == LrSchedule::InverseSqrt ? 1 : 0),
        fmt::format("warmup must be at least {} (got {})", o.schedule == LrSchedule::InverseSqrt ? 1 : 0, o.warmup));
  check(o.schedule == LrSchedule::InverseSqrt || o.warmup < o.steps,
        fmt::format("warmup ({}) must be below steps ({}) for the cosine schedule", o.warmup, o.steps));
  check(o.min_lr >= 0 && o.min_lr <= o.lr, fmt::format("min_lr must be in [0, lr] (got {})", o.min_lr));
  for (float beta : o.betas) check(beta >= 0 && beta < 1, fmt::format("betas must be in [0, 1) (got {})", beta));
  check(o.eps > 0, fmt::format("eps must be positive (got {})", o.eps));
  check(o.weight_decay >= 0, fmt::format("weight_decay must be >= 0 (got {})", o.weight_decay));
  check(o.label_smoothing >= 0 && o.label_smoothing < 1,
        fmt::format("label_smoothing must be in [0, 1) (got {})", o.label_smoothing));
  check(o.clip_norm >= 0, fmt::format("clip_norm must be >= 0 (got {})", o.clip_norm));
  check(o.log_every >= 1, fmt::format("log_every must be at least 1 (got {})", o.log_every));
  check(o.eval_every >= 0, fmt::format("eval_every must be >= 0 (got {})", o.eval_every));
  check(o.eval_sentences >= 0, fmt::format("eval_sentences must be >= 0 (got {})", o.eval_sentences));
  check(o.eval_decode.beam_size >= 1, fmt::format("the beam size must be at least 1 (got {})", o.eval_decode.beam_size));
  check(o.checkpoint_every >= 0, fmt::format("checkpoint_every must be >= 0 (got {})", o.checkpoint_every));
}

std::map<std::string, std::string> resume_settings(const TrainOptions& o) {
  std::map<std::string, std::string> settings = {
      {"max_tokens", fmt::format("{}", o.max_tokens)}, {"lr", fmt::format("{}", o.lr)},
      {"warmup", fmt::format("{}", o.warmup)},
      {"schedule", o.schedule == LrSchedule::InverseSqrt ? "inverse-sqrt" : "cosine"},
      {"min_lr", fmt::format("{}", o.min_lr)}, {"betas", fmt::format("{}, {}", o.betas[0], o.betas[1])},
      {"eps", fmt::format("{}", o.eps)}, {"weight_decay", fmt::format("{}", o.weight_decay)},
      {"label_smoothing", fmt::format("{}", o.label_smoothing)}, {"clip_norm", fmt::format("{}", o.clip_norm)},
      {"seed", fmt::format("{}", o.seed)}};
  if (o.schedule == LrSchedule::WarmupCosine) settings["steps"] = fmt::format("{}", o.steps);
  return settings;
}

Trainer::Trainer(const Translator& translator, TrainOptions options)
    : translator_(translator), options_(std::move(options)) {
  validate(options_);
}

TrainHistory Trainer::fit(const std::vector<data::SentencePair>& train, const std::vector<data::SentencePair>& valid,
                          const Checkpoint* resume) {
  HEED_CHECK(!train.empty(), "Trainer::fit", "no training pairs");
  if (replicas_ == nullptr) return run(train, valid, resume);
  replicas_->check_same_model(translator_.model().named_parameters());
  if (replicas_->size() == 1) return run(train, valid, resume);
  try {
    return run(train, valid, resume);
  } catch (const Error& error) {
    replicas_->abort(error.what());  // ends the job: the other ranks may be waiting for this one
    throw;                           // (abort does not return; the compiler cannot see through the virtual call)
  }
}

TrainHistory Trainer::run(const std::vector<data::SentencePair>& train, const std::vector<data::SentencePair>& valid,
                          const Checkpoint* resume) {
  models::Seq2Seq& model = translator_.model();
  const int64_t pad = model.special_ids().pad;
  const bool lead = replicas_ == nullptr || replicas_->rank() == 0;
  const std::vector<TrainObserver*> observers = lead ? observers_ : std::vector<TrainObserver*>{};
  const uint64_t seed = replicas_ == nullptr ? options_.seed : rank_seed(options_.seed, replicas_->rank());
  manual_seed(seed);
  data::Batcher batcher(translator_.encode(train), {.max_tokens = options_.max_tokens, .shuffle = true, .seed = options_.seed});
  const std::vector<Tensor> parameters = model.parameters();
  optim::AdamW optimizer(parameters, {.lr = options_.lr, .betas = options_.betas, .eps = options_.eps,
                                      .weight_decay = options_.weight_decay});
  std::unique_ptr<optim::Schedule> schedule = make_schedule(optimizer, options_);
  // Without clipping the norm is still measured (for the records): no finite norm exceeds the largest float.
  const float max_norm = options_.clip_norm > 0 ? options_.clip_norm : std::numeric_limits<float>::max();

  std::map<std::string, std::string> settings = resume_settings(options_);
  settings["training data"] = data_fingerprint(train);
  TrainHistory history;
  TrainInterval interval;
  int64_t step = 0, epoch = 0, next = 0;  // the next batch is batcher.epoch(epoch)[next]
  if (resume != nullptr) {
    for (const auto& [name, value] : settings) {
      const auto found = resume->settings.find(name);
      HEED_CHECK(found != resume->settings.end() && found->second == value, "Trainer::fit",
                 "{} was made with {} {}, this run has {} {}: resume with the options and data of the first run",
                 file_of(*resume), name,
                 found == resume->settings.end() ? "unset" : found->second, name, value);
    }
    restore_state(*resume, model, optimizer, *schedule);
    default_generator().set_state({.seed = seed, .offset = resume->rng.offset});
    history = resume->history;
    interval = resume->interval;
    step = resume->step;
    epoch = resume->epoch;
    next = resume->batch;
  }
  if (replicas_ != nullptr) replicas_->broadcast_parameters(parameters);
  const Clock::time_point start =
      Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(history.seconds));
  auto make_checkpoint = [&](int64_t next_batch) {
    history.seconds = seconds_since(start);
    const Checkpoint checkpoint{.model = model.state_dict(), .optimizer = optimizer.state_dict(),
                                .schedule = schedule->state_dict(), .rng = default_generator().state(), .step = step,
                                .epoch = epoch, .batch = next_batch, .interval = interval, .history = history,
                                .settings = settings};
    for (TrainObserver* observer : observers) observer->on_checkpoint(checkpoint);
  };

  // In a group the flag is read collectively, so every rank stops at the same update.
  auto stop_requested = [&] {
    const bool flagged = stop_flag_ != nullptr && stop_flag_->load();
    return replicas_ == nullptr ? flagged : replicas_->sum_scalar(flagged ? 1 : 0) > 0;
  };
  // zero_grad, forward, backward of update step + 1 on this process's rows of the batch: all of
  // them, or in a group this rank's shard (shard_rows; empty when the batch has fewer rows than
  // there are ranks). The loss is those rows' summed token losses over the whole batch's target
  // tokens, so the shards' losses and gradients add up to the batch's mean loss and its gradient.
  // Leaves that gradient (in a group, summed over the ranks) in .grad() and returns the loss.
  const LeafGradReady gradient_ready =
      replicas_ == nullptr ? LeafGradReady() : [&](const Tensor& parameter) { replicas_->gradient_ready(parameter); };
  auto compute_gradients = [&](const data::Batch& batch) -> double {
    const int64_t rows = batch.src.size(0);
    // (Plain variables, not a structured binding: clang 14 cannot capture a binding in a lambda.)
    const std::pair<int64_t, int64_t> shard =
        replicas_ == nullptr ? std::pair<int64_t, int64_t>{0, rows} : shard_rows(rows, replicas_->rank(), replicas_->size());
    const int64_t begin = shard.first, end = shard.second;
    optimizer.zero_grad();
    if (replicas_ != nullptr) replicas_->start_gradients(parameters);
    double share = 0;
    if (end > begin) {
      auto mine = [&](const Tensor& t) { return ops::narrow(t, 0, begin, end - begin); };
      Tensor loss = checked_loss(step + 1, [&] {
        Tensor logits = model.forward(mine(batch.src), mine(batch.tgt_in));  // (B, T, V)
        return sequence_loss(logits, mine(batch.tgt_out), pad, options_.label_smoothing, ops::Reduction::Sum) /
               static_cast<float>(std::max<int64_t>(1, batch.target_tokens));
      });
      checked_backward(loss, step + 1, gradient_ready);
      share = loss.item();
    }
    if (replicas_ == nullptr) return share;
    replicas_->finish_gradients();
    return replicas_->sum_scalar(share);
  };

  for (TrainObserver* observer : observers) observer->on_start(options_, static_cast<int64_t>(train.size()));
  model.train();
  for (; step < options_.steps && !history.stopped; ++epoch, next = 0) {
    const std::vector<data::Batch> batches = batcher.epoch(epoch);
    for (; next < static_cast<int64_t>(batches.size()) && step < options_.steps; ++next) {
      if (stop_requested()) {
        make_checkpoint(next);
        history.stopped = true;
        break;
      }
      const data::Batch& batch = batches[static_cast<size_t>(next)];
      const Clock::time_point update_start = Clock::now();
      const double loss = compute_gradients(batch);
      const float norm = optim::clip_grad_norm(parameters, max_norm);
      HEED_CHECK(std::isfinite(norm), "Trainer::fit",
                 "update {}: the gradient norm is {}: training diverged (lower the learning rate)", step + 1, norm);
      const float lr = optimizer.lr();
      optimizer.step();
      schedule->step();
      ++step;
      interval.loss_sum += loss * static_cast<double>(batch.target_tokens);
      interval.target_tokens += batch.target_tokens;
      interval.tokens += batch.source_tokens + batch.target_tokens;
      interval.train_seconds += seconds_since(update_start);

      StepRecord record{
          .step = step, .total_steps = options_.steps, .epoch = epoch,
          .loss = interval.target_tokens > 0 ? interval.loss_sum / static_cast<double>(interval.target_tokens) : 0,
          .lr = lr, .grad_norm = norm,
          .tokens_per_second = interval.train_seconds > 0 ? static_cast<double>(interval.tokens) / interval.train_seconds : 0,
          .elapsed_seconds = seconds_since(start)};
      for (TrainObserver* observer : observers) observer->on_step(record);
      if (step % options_.log_every == 0 || step == options_.steps) {
        history.steps.push_back(record);
        for (TrainObserver* observer : observers) observer->on_log(record);
        interval = {};
      }
      const bool validate_now = (options_.eval_every > 0 && step % options_.eval_every == 0) || step == options_.steps;
      if (validate_now && !valid.empty() && lead) {
        history.validations.push_back(validate_on(valid, step));
        for (TrainObserver* observer : observers) observer->on_validation(history.validations.back(), history);
      }
      if (step == options_.steps || (options_.checkpoint_every > 0 && step % options_.checkpoint_every == 0))
        make_checkpoint(next + 1);
    }
  }
  model.eval();
  history.seconds = seconds_since(start);
  for (TrainObserver* observer : observers) observer->on_end(history);
  return history;
}

ValidationRecord Trainer::validate_on(const std::vector<data::SentencePair>& valid, int64_t step) const {
  HEED_CHECK(!valid.empty(), "Trainer::validate_on", "no validation pairs");
  const Clock::time_point start = Clock::now();
  models::Seq2Seq& model = translator_.model();
  ValidationRecord record{.step = step};
  {
    EvalModeGuard eval_mode(model);
    NoGradGuard no_grad;
    data::Batcher batcher(translator_.encode(valid), {.max_tokens = options_.max_tokens, .shuffle = false});
    double nll = 0;
    int64_t tokens = 0;
    for (const data::Batch& batch : batcher.epoch(0)) {
      Tensor logits = model.forward(batch.src, batch.tgt_in);  // (B, T, V)
      nll += sequence_loss(logits, batch.tgt_out, model.special_ids().pad, 0.0f, ops::Reduction::Sum).item();
      tokens += batch.target_tokens;
    }
    record.loss = tokens > 0 ? nll / static_cast<double>(tokens) : 0;
    record.perplexity = data::perplexity(nll, tokens);
  }
  const size_t scored = options_.eval_sentences > 0
                            ? std::min(valid.size(), static_cast<size_t>(options_.eval_sentences))
                            : valid.size();
  const std::vector<data::SentencePair> subset(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(scored));
  const EvalScores scores = translator_.evaluate(subset, options_.eval_decode);
  record.bleu = scores.bleu;
  record.exact_match = scores.exact_match;
  record.token_accuracy = scores.token_accuracy;
  record.sentences = scores.count;

  const size_t samples = std::min<size_t>(2, valid.size());
  std::vector<std::string> sources;
  for (size_t i = 0; i < samples; ++i) sources.push_back(valid[i].first);
  models::DecodeOptions decode = options_.eval_decode;
  decode.need_attention = false;
  const std::vector<Translation> translations = translator_.translate(sources, decode);
  for (size_t i = 0; i < samples; ++i)
    record.samples.push_back({.source = valid[i].first, .reference = valid[i].second, .hypothesis = translations[i].text});
  record.seconds = seconds_since(start);
  return record;
}

}  // namespace heed::train
