// Saving and loading model directories; config.json through nlohmann/json.
#include "heed/train/model_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "heed/core/error.h"
#include "heed/nn/serialize.h"
#include "heed/ops/shape.h"
#include "heed/data/text_file.h"
#include "heed/train/checkpoint.h"
#include "heed/train/model_config.h"
#include "heed/train/report_writer.h"

namespace heed::train {

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kFormat = "heed-model";
constexpr int kVersion = 1;

// ---- writing ----

Json special_json(const models::SpecialIds& s) { return {{"pad", s.pad}, {"bos", s.bos}, {"eos", s.eos}}; }

Json model_json(const ModelConfig& config) {
  if (const auto* c = std::get_if<models::TransformerConfig>(&config))
    return {{"kind", "transformer"},
            {"source_vocab_size", c->source_vocab_size},
            {"target_vocab_size", c->target_vocab_size},
            {"d_model", c->d_model},
            {"nhead", c->nhead},
            {"num_encoder_layers", c->num_encoder_layers},
            {"num_decoder_layers", c->num_decoder_layers},
            {"dim_feedforward", c->dim_feedforward},
            {"dropout", c->dropout},
            {"activation", c->activation == nn::Activation::ReLU ? "relu" : "gelu"},
            {"norm_first", c->norm_first},
            {"positions", c->positions == models::PositionalEncoding::Sinusoidal ? "sinusoidal" : "learned"},
            {"max_length", c->max_length},
            {"share_embeddings", c->share_embeddings},
            {"tie_output", c->tie_output},
            {"pitfall", models::pitfall_name(c->pitfall)},
            {"special", special_json(c->special)}};
  const auto& c = std::get<models::LSTMSeq2SeqConfig>(config);
  const char* attention = c.attention == models::RnnAttentionKind::Additive   ? "additive"
                          : c.attention == models::RnnAttentionKind::LuongDot ? "dot"
                                                                              : "general";
  return {{"kind", "lstm"},
          {"source_vocab_size", c.source_vocab_size},
          {"target_vocab_size", c.target_vocab_size},
          {"embedding_size", c.embedding_size},
          {"hidden_size", c.hidden_size},
          {"num_layers", c.num_layers},
          {"bidirectional_encoder", c.bidirectional_encoder},
          {"attention", attention},
          {"input_feeding", c.input_feeding},
          {"dropout", c.dropout},
          {"special", special_json(c.special)}};
}

Json side_json(const TextSide& side, const char* vocab_file, const char* sentencepiece_file) {
  Json json = {{"tokenizer", side.tokenizer->kind()}, {"vocab", vocab_file}};
  if (side.tokenizer->kind() == "sentencepiece") json["sentencepiece_model"] = sentencepiece_file;
  return json;
}

std::string read_file(const fs::path& path, const char* op) {
  std::ifstream in(path, std::ios::binary);
  HEED_CHECK(in.good(), op, "{}: cannot open it", path.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  HEED_CHECK(!in.bad(), op, "{}: reading failed", path.string());
  return bytes.str();
}

void copy_sentencepiece_model(const TextSide& side, const fs::path& destination) {
  HEED_CHECK(!side.sentencepiece_model.empty(), "save_model_dir",
             "a SentencePiece side has no model file (TextSide::sentencepiece_model) to save");
  std::error_code error;
  if (fs::exists(destination) && fs::equivalent(side.sentencepiece_model, destination, error)) return;
  data::write_file_atomically(destination.string(), read_file(side.sentencepiece_model, "save_model_dir"), "save_model_dir");
}

// ---- reading ----

// Fields of one JSON object in config.json, with errors naming the file and the field.
class Fields {
 public:
  Fields(const Json& json, std::string file, std::string prefix) : json_(json), file_(std::move(file)), prefix_(std::move(prefix)) {
    HEED_CHECK(json.is_object(), "load_model_dir", "{}: \"{}\" should be an object", file_, prefix_.empty() ? "(top level)" : prefix_);
  }

  // "source.vocab" for the key "vocab" of the object "source".
  std::string name(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

  template <class T>
  T get(const std::string& key) const {
    const std::string name = this->name(key);
    HEED_CHECK(json_.contains(key), "load_model_dir", "{}: the field \"{}\" is missing", file_, name);
    const Json& value = json_.at(key);
    bool ok;
    if constexpr (std::is_same_v<T, bool>) ok = value.is_boolean();
    else if constexpr (std::is_integral_v<T>) ok = value.is_number_integer();
    else if constexpr (std::is_floating_point_v<T>) ok = value.is_number();
    else if constexpr (std::is_same_v<T, std::string>) ok = value.is_string();
    else ok = true;
    HEED_CHECK(ok, "load_model_dir", "{}: the field \"{}\" has the wrong type ({})", file_, name, value.type_name());
    return value.get<T>();
  }

  Fields object(const std::string& key) const {
    const std::string name = this->name(key);
    HEED_CHECK(json_.contains(key), "load_model_dir", "{}: the field \"{}\" is missing", file_, name);
    return Fields(json_.at(key), file_, name);
  }

  bool has(const std::string& key) const { return json_.contains(key); }

  // A string field that must be one of `choices`; returns its index.
  size_t choice(const std::string& key, std::initializer_list<const char*> choices) const {
    const std::string value = get<std::string>(key);
    size_t i = 0;
    for (const char* choice : choices) {
      if (value == choice) return i;
      ++i;
    }
    throw Error(fmt::format("load_model_dir: {}: the field \"{}\" is \"{}\"; expected one of {}", file_, name(key),
                            value, fmt::join(choices, ", ")));
  }

 private:
  const Json& json_;
  std::string file_, prefix_;
};

models::SpecialIds read_special(const Fields& fields) {
  return {.pad = fields.get<int64_t>("pad"), .bos = fields.get<int64_t>("bos"), .eos = fields.get<int64_t>("eos")};
}

models::Pitfall read_pitfall(const Fields& m) {
  const std::string name = m.get<std::string>("pitfall");
  std::optional<models::Pitfall> pitfall = models::pitfall_from_name(name);
  HEED_CHECK(pitfall.has_value(), "load_model_dir", "the field \"model.pitfall\" is \"{}\"; expected a name of "
             "docs/pitfalls.md (heed train --help lists them)", name);
  return *pitfall;
}

ModelConfig read_model(const Fields& m) {
  if (m.choice("kind", {"transformer", "lstm"}) == 0) {
    return models::TransformerConfig{
        .source_vocab_size = m.get<int64_t>("source_vocab_size"),
        .target_vocab_size = m.get<int64_t>("target_vocab_size"),
        .d_model = m.get<int64_t>("d_model"),
        .nhead = m.get<int64_t>("nhead"),
        .num_encoder_layers = m.get<int64_t>("num_encoder_layers"),
        .num_decoder_layers = m.get<int64_t>("num_decoder_layers"),
        .dim_feedforward = m.get<int64_t>("dim_feedforward"),
        .dropout = m.get<float>("dropout"),
        .activation = m.choice("activation", {"relu", "gelu"}) == 0 ? nn::Activation::ReLU : nn::Activation::GELU,
        .norm_first = m.get<bool>("norm_first"),
        .positions = m.choice("positions", {"sinusoidal", "learned"}) == 0 ? models::PositionalEncoding::Sinusoidal
                                                                            : models::PositionalEncoding::Learned,
        .max_length = m.get<int64_t>("max_length"),
        .share_embeddings = m.get<bool>("share_embeddings"),
        .tie_output = m.get<bool>("tie_output"),
        .special = read_special(m.object("special")),
        .pitfall = m.has("pitfall") ? read_pitfall(m) : models::Pitfall::None};  // older files have none
  }
  static constexpr models::RnnAttentionKind kAttention[] = {
      models::RnnAttentionKind::Additive, models::RnnAttentionKind::LuongDot, models::RnnAttentionKind::LuongGeneral};
  return models::LSTMSeq2SeqConfig{
      .source_vocab_size = m.get<int64_t>("source_vocab_size"),
      .target_vocab_size = m.get<int64_t>("target_vocab_size"),
      .embedding_size = m.get<int64_t>("embedding_size"),
      .hidden_size = m.get<int64_t>("hidden_size"),
      .num_layers = m.get<int64_t>("num_layers"),
      .bidirectional_encoder = m.get<bool>("bidirectional_encoder"),
      .attention = kAttention[m.choice("attention", {"additive", "dot", "general"})],
      .input_feeding = m.get<bool>("input_feeding"),
      .dropout = m.get<float>("dropout"),
      .special = read_special(m.object("special"))};
}

fs::path existing_file(const fs::path& dir, const std::string& name) {
  const fs::path path = dir / name;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  HEED_CHECK(fs::exists(status), "load_model_dir", "{}: no such file (is {} a model directory?)", path.string(),
             dir.string());
  HEED_CHECK(fs::is_regular_file(status), "load_model_dir", "{}: not a regular file", path.string());
  return path;
}

// Runs `load`, adding the file's name to any error that does not already say it.
template <class F>
auto naming(const fs::path& path, F load) {
  try {
    return load();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find(path.string()) != std::string::npos) throw Error("load_model_dir: " + message);
    throw Error(fmt::format("load_model_dir: {}: {}", path.string(), message));
  }
}

// The file a string field names, which must be a plain file name inside the directory: a model
// directory never makes its loader read files elsewhere ("/etc/passwd", "../x", "a/b").
fs::path file_field(const fs::path& dir, const Fields& fields, const std::string& key) {
  const std::string name = fields.get<std::string>(key);
  HEED_CHECK(!name.empty() && name != "." && name != ".." && name.find_first_of(std::string_view("/\0", 2)) == std::string::npos,
             "load_model_dir", "{}: the field \"{}\" is {:?}; expected the name of a file in the directory",
             (dir / kConfigFile).string(), fields.name(key), name);
  return existing_file(dir, name);
}

TextSide read_side(const fs::path& dir, const Fields& fields, int64_t vocab_size, const char* which) {
  TextSide side;
  const size_t kind = fields.choice("tokenizer", {"words", "chars", "sentencepiece"});
  if (kind == 2) {
    const fs::path model = file_field(dir, fields, "sentencepiece_model");
    side.tokenizer = naming(model, [&] { return data::load_sentencepiece(model.string()); });
    side.sentencepiece_model = model.string();
  } else {
    side.tokenizer = data::make_tokenizer(kind == 0 ? "words" : "chars");
  }
  const fs::path vocab = file_field(dir, fields, "vocab");
  side.vocab = naming(vocab, [&] { return data::Vocab::load(vocab.string()); });
  HEED_CHECK(side.vocab.size() == vocab_size, "load_model_dir",
             "{}: {} tokens, but config.json gives the model a {} vocabulary of {}", vocab.string(), side.vocab.size(),
             which, vocab_size);
  return side;
}

}  // namespace

std::string model_config_json(const ModelConfig& config) { return model_json(config).dump(); }

void check_finite(const nn::StateDict& state, const std::string& file, const char* op) {
  for (const auto& [name, tensor] : state) {
    if (tensor.dtype() != Dtype::Float32) continue;
    const Tensor values = ops::contiguous(tensor);  // loaded tensors are dense: no copy
    const float* begin = values.data<float>();
    const float* end = begin + values.numel();
    const float* bad = std::find_if(begin, end, [](float v) { return !std::isfinite(v); });
    HEED_CHECK(bad == end, op, "{}: the tensor \"{}\" {} holds {} at element {}; expected finite values", file, name,
               tensor.shape(), *bad, bad - begin);
  }
}

bool holds_model(const std::string& dir) {
  std::error_code error;
  if (!checkpoint_steps(dir).empty()) return true;
  if (!fs::exists(fs::path(dir) / kConfigFile, error)) return false;
  try {
    const std::optional<TrainingProgress> progress = read_training_progress(dir);
    return !progress || progress->step > 0;  // step 0: a run that failed before its first update
  } catch (const Error&) {
    return true;  // a config.json this heed cannot read: not ours to delete
  }
}

void remove_model_dir_files(const std::string& dir) {
  auto remove = [&](const char* name) {
    const fs::path path = fs::path(dir) / name;
    std::error_code error;
    fs::remove(path, error);
    HEED_CHECK(!error, "remove_model_dir_files", "{}: cannot remove: {}", path.string(), error.message());
  };
  remove(kConfigFile);  // first: from here on the folder is no model
  prune_checkpoints(dir, 0);
  for (const char* name : {kWeightsFile, kSourceVocabFile, kTargetVocabFile, kSourceSentencePieceFile,
                           kTargetSentencePieceFile, kMetricsFile, kTrainingPlotFile})
    remove(name);
}

void save_model_dir(const Translator& translator, const std::string& dir, std::optional<TrainingProgress> progress) {
  const ModelConfig config = config_of(translator.model());
  std::error_code error;
  fs::create_directories(dir, error);
  HEED_CHECK(!error && fs::is_directory(dir), "save_model_dir", "{}: cannot create the directory: {}", dir,
             error ? error.message() : "a file of that name is in the way");
  const fs::path root(dir);
  nn::save(translator.model(), (root / kWeightsFile).string());
  translator.source().vocab.save((root / kSourceVocabFile).string());
  translator.target().vocab.save((root / kTargetVocabFile).string());
  if (translator.source().tokenizer->kind() == "sentencepiece")
    copy_sentencepiece_model(translator.source(), root / kSourceSentencePieceFile);
  if (translator.target().tokenizer->kind() == "sentencepiece")
    copy_sentencepiece_model(translator.target(), root / kTargetSentencePieceFile);
  Json json = {
      {"format", kFormat},
      {"version", kVersion},
      {"model", model_json(config)},
      {"source", side_json(translator.source(), kSourceVocabFile, kSourceSentencePieceFile)},
      {"target", side_json(translator.target(), kTargetVocabFile, kTargetSentencePieceFile)},
      {"special_ids",
       {{"pad", data::Vocab::pad_id}, {"bos", data::Vocab::bos_id}, {"eos", data::Vocab::eos_id}, {"unk", data::Vocab::unk_id}}}};
  if (progress) json["training"] = {{"step", progress->step}, {"steps", progress->steps}};
  // Written last: a directory with a config.json is complete.
  data::write_file_atomically((root / kConfigFile).string(), json.dump(2) + "\n", "save_model_dir");
}

ModelDirLock::ModelDirLock(const std::string& dir) {
  const std::string path = (fs::path(dir) / kTrainLockFile).string();
  auto system_error = [](int error) { return std::error_code(error, std::generic_category()).message(); };
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  HEED_CHECK(fd_ >= 0, "ModelDirLock", "{}: cannot open the lock file: {}", path, system_error(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char owner[32] = {};
    const ssize_t size = ::pread(fd_, owner, sizeof owner - 1, 0);
    ::close(fd_);
    HEED_CHECK(error == EWOULDBLOCK, "ModelDirLock", "{}: cannot lock: {}", path, system_error(error));
    const std::string pid = size > 0 ? std::string(owner, static_cast<size_t>(size)) : std::string("unknown");
    throw Error(fmt::format("ModelDirLock: {} is in use by another training run (pid {}, holding {}); wait for it to "
                            "end, or train into another folder",
                            dir, pid.substr(0, pid.find('\n')), path));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd_);
    throw Error(fmt::format("ModelDirLock: {}: cannot write the pid: {}", path, system_error(error)));
  }
}

ModelDirLock::~ModelDirLock() { ::close(fd_); }  // closing drops the lock

namespace {

// The parsed config.json of the model directory `dir`, or an error naming the folder or the file.
Json read_config_json(const std::string& dir) {
  std::error_code error;
  HEED_CHECK(fs::is_directory(dir, error), "load_model_dir", "{}: {}", dir,
             fs::exists(dir, error) ? "not a directory" : "no such directory");
  const fs::path config_path = existing_file(dir, kConfigFile);
  try {
    return Json::parse(read_file(config_path, "load_model_dir"));
  } catch (const Json::exception& e) {
    throw Error(fmt::format("load_model_dir: {}: malformed JSON: {}", config_path.string(), e.what()));
  }
}

}  // namespace

std::optional<TrainingProgress> read_training_progress(const std::string& dir) {
  const Json json = read_config_json(dir);
  const Fields top(json, (fs::path(dir) / kConfigFile).string(), "");
  if (!top.has("training")) return std::nullopt;
  const Fields training = top.object("training");
  return TrainingProgress{.step = training.get<int64_t>("step"), .steps = training.get<int64_t>("steps")};
}

Translator load_model_dir(const std::string& dir) {
  const fs::path root(dir);
  const fs::path config_path = root / kConfigFile;
  const std::string file = config_path.string();
  const Json json = read_config_json(dir);
  const Fields top(json, file, "");
  HEED_CHECK(top.get<std::string>("format") == kFormat, "load_model_dir", "{}: \"format\" is not \"{}\"", file, kFormat);
  const auto version = top.get<int64_t>("version");
  HEED_CHECK(version == kVersion, "load_model_dir", "{}: version {} is not supported (this heed reads version {})",
             file, version, kVersion);
  const Fields ids = top.object("special_ids");
  HEED_CHECK(ids.get<int64_t>("pad") == data::Vocab::pad_id && ids.get<int64_t>("bos") == data::Vocab::bos_id &&
                 ids.get<int64_t>("eos") == data::Vocab::eos_id && ids.get<int64_t>("unk") == data::Vocab::unk_id,
             "load_model_dir", "{}: the special ids differ from heed's (pad 0, bos 1, eos 2, unk 3)", file);

  const ModelConfig config = read_model(top.object("model"));
  const auto [source_size, target_size] = std::visit(
      [](const auto& c) { return std::pair{c.source_vocab_size, c.target_vocab_size}; }, config);
  TextSide source = read_side(root, top.object("source"), source_size, "source");
  TextSide target = read_side(root, top.object("target"), target_size, "target");
  const fs::path weights = existing_file(root, kWeightsFile);
  check_config_fits_weights(config, nn::load_shapes(weights.string()), file, weights.string());  // before allocating
  std::shared_ptr<models::Seq2Seq> model =
      naming(config_path, [&] { return make_model(config); });
  naming(weights, [&] {
    const nn::StateDict state = nn::load(weights.string());
    check_finite(state, weights.string(), "load_model_dir");
    model->load_state_dict(state);
    return 0;
  });
  model->eval();
  return naming(config_path, [&] { return Translator(model, std::move(source), std::move(target)); });
}

}  // namespace heed::train
