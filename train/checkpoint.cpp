// Checkpoints: state dicts under prefixed keys, the scalars and the history as metadata JSON.
#include "heed/train/checkpoint.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "heed/core/error.h"
#include "heed/nn/serialize.h"
#include "heed/train/model_dir.h"

namespace heed::train {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kFormat = "heed-checkpoint";
constexpr const char* kPrefixes[] = {"model.", "optimizer.", "schedule."};

Json step_json(const StepRecord& r) {
  return {{"step", r.step}, {"total_steps", r.total_steps}, {"epoch", r.epoch}, {"loss", r.loss}, {"lr", r.lr},
          {"grad_norm", r.grad_norm}, {"tokens_per_second", r.tokens_per_second}, {"elapsed_seconds", r.elapsed_seconds}};
}

// An integer field. nlohmann would convert a float such as 1e300 to int64_t, which is undefined
// behaviour when it does not fit; the error is caught and reported by load_checkpoint.
int64_t integer_at(const Json& j, const char* key) {
  const Json& value = j.at(key);
  if (!value.is_number_integer())
    throw std::invalid_argument(fmt::format("\"{}\" is {}; expected an integer", key, value.dump()));
  return value.get<int64_t>();
}

StepRecord step_from(const Json& j) {
  return {.step = integer_at(j, "step"), .total_steps = integer_at(j, "total_steps"), .epoch = integer_at(j, "epoch"), .loss = j.at("loss"),
          .lr = j.at("lr"), .grad_norm = j.at("grad_norm"), .tokens_per_second = j.at("tokens_per_second"),
          .elapsed_seconds = j.at("elapsed_seconds")};
}

Json validation_json(const ValidationRecord& r) {
  Json samples = Json::array();
  for (const SampleTranslation& s : r.samples)
    samples.push_back({{"source", s.source}, {"reference", s.reference}, {"hypothesis", s.hypothesis}});
  return {{"step", r.step}, {"loss", r.loss}, {"perplexity", r.perplexity}, {"bleu", r.bleu},
          {"exact_match", r.exact_match}, {"token_accuracy", r.token_accuracy}, {"sentences", r.sentences},
          {"samples", samples}, {"seconds", r.seconds}};
}

ValidationRecord validation_from(const Json& j) {
  ValidationRecord r{.step = integer_at(j, "step"), .loss = j.at("loss"), .perplexity = j.at("perplexity"), .bleu = j.at("bleu"),
                     .exact_match = j.at("exact_match"), .token_accuracy = j.at("token_accuracy"),
                     .sentences = integer_at(j, "sentences"), .samples = {}, .seconds = j.at("seconds")};
  for (const Json& s : j.at("samples"))
    r.samples.push_back({.source = s.at("source").get<std::string>(), .reference = s.at("reference").get<std::string>(),
                         .hypothesis = s.at("hypothesis").get<std::string>()});
  return r;
}

Json history_json(const TrainHistory& history) {
  Json steps = Json::array(), validations = Json::array();
  for (const StepRecord& r : history.steps) steps.push_back(step_json(r));
  for (const ValidationRecord& r : history.validations) validations.push_back(validation_json(r));
  return {{"steps", steps}, {"validations", validations}, {"seconds", history.seconds}};
}

TrainHistory history_from(const Json& j) {
  TrainHistory history{.steps = {}, .validations = {}, .seconds = j.at("seconds")};
  for (const Json& r : j.at("steps")) history.steps.push_back(step_from(r));
  for (const Json& r : j.at("validations")) history.validations.push_back(validation_from(r));
  return history;
}

// The step in a file name "checkpoint-<step>.safetensors" spelled as checkpoint_path spells it
// (no sign, no leading zero), or -1 for any other name: a listed step always names the file that
// checkpoint_path(dir, step) reads, never a stray "checkpoint-0151". (No std::regex: GCC 12 warns
// about its own <regex> under -fsanitize=address, which fails -Werror.)
int64_t step_of_checkpoint_name(std::string_view name) {
  constexpr std::string_view prefix = "checkpoint-", suffix = ".safetensors";
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return -1;
  const std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  int64_t step = -1;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
  const bool whole = error == std::errc() && end == digits.data() + digits.size();
  return whole && step >= 0 && digits == std::to_string(step) ? step : -1;
}

}  // namespace

void save_checkpoint(const Checkpoint& c, const std::string& path) {
  nn::StateDict state;
  const nn::StateDict* parts[] = {&c.model, &c.optimizer, &c.schedule};
  for (size_t i = 0; i < 3; ++i)
    for (const auto& [name, tensor] : *parts[i]) state.emplace(kPrefixes[i] + name, tensor);
  const Json interval = {{"loss_sum", c.interval.loss_sum}, {"target_tokens", c.interval.target_tokens},
                         {"tokens", c.interval.tokens}, {"train_seconds", c.interval.train_seconds}};
  const nn::Metadata metadata = {
      {"format", kFormat}, {"step", std::to_string(c.step)}, {"epoch", std::to_string(c.epoch)},
      {"batch", std::to_string(c.batch)}, {"rng_seed", std::to_string(c.rng.seed)},
      {"rng_offset", std::to_string(c.rng.offset)}, {"interval", interval.dump()},
      {"history", history_json(c.history).dump()}, {"settings", Json(c.settings).dump()}};
  nn::save(state, path, metadata);
}

Checkpoint load_checkpoint(const std::string& path) {
  nn::Metadata metadata;
  nn::StateDict state = nn::load(path, &metadata);
  auto field = [&](const char* key) -> const std::string& {
    const auto found = metadata.find(key);
    HEED_CHECK(found != metadata.end(), "load_checkpoint", "{}: the metadata field \"{}\" is missing", path, key);
    return found->second;
  };
  HEED_CHECK(field("format") == kFormat, "load_checkpoint", "{}: not a heed checkpoint (format \"{}\")", path,
             field("format"));
  Checkpoint c;
  c.source = path;
  for (auto& [name, tensor] : state) {
    nn::StateDict* parts[] = {&c.model, &c.optimizer, &c.schedule};
    size_t part = 0;
    while (part < 3 && !name.starts_with(kPrefixes[part])) ++part;
    HEED_CHECK(part < 3, "load_checkpoint", "{}: unexpected tensor \"{}\" (expected model.*, optimizer.* or schedule.*)",
               path, name);
    parts[part]->emplace(name.substr(std::string_view(kPrefixes[part]).size()), tensor);
  }
  try {
    c.step = std::stoll(field("step"));
    c.epoch = std::stoll(field("epoch"));
    c.batch = std::stoll(field("batch"));
    c.rng = {.seed = std::stoull(field("rng_seed")), .offset = std::stoull(field("rng_offset"))};
    const Json interval = Json::parse(field("interval"));
    c.interval = {.loss_sum = interval.at("loss_sum"), .target_tokens = integer_at(interval, "target_tokens"),
                  .tokens = integer_at(interval, "tokens"), .train_seconds = interval.at("train_seconds")};
    c.history = history_from(Json::parse(field("history")));
    c.settings = Json::parse(field("settings")).get<std::map<std::string, std::string>>();
  } catch (const std::exception& e) {  // std::stoll's and nlohmann's errors
    throw Error(fmt::format("load_checkpoint: {}: malformed metadata: {}", path, e.what()));
  }
  check_finite(state, path, "load_checkpoint");
  HEED_CHECK(c.step >= 0 && c.epoch >= 0 && c.batch >= 0, "load_checkpoint",
             "{}: negative step ({}), epoch ({}) or batch ({})", path, c.step, c.epoch, c.batch);
  return c;
}

std::string checkpoint_path(const std::string& dir, int64_t step) {
  return (fs::path(dir) / fmt::format("checkpoint-{}.safetensors", step)).string();
}

std::vector<int64_t> checkpoint_steps(const std::string& dir) {
  std::vector<int64_t> steps;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const int64_t step = step_of_checkpoint_name(entry.path().filename().string());
    if (step >= 0) steps.push_back(step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

void prune_checkpoints(const std::string& dir, int64_t keep) {
  const std::vector<int64_t> steps = checkpoint_steps(dir);
  for (size_t i = 0; i + static_cast<size_t>(std::max<int64_t>(keep, 0)) < steps.size(); ++i) {
    std::error_code error;
    fs::remove(checkpoint_path(dir, steps[i]), error);
    HEED_CHECK(!error, "prune_checkpoints", "{}: cannot remove: {}", checkpoint_path(dir, steps[i]), error.message());
  }
}

}  // namespace heed::train
