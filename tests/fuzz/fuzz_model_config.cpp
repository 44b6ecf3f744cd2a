// Fuzz target: a model directory's config.json (train::load_model_dir) from arbitrary bytes. Two
// scratch directories hold everything else a tiny model needs (vocabularies of 8 tokens, SentencePiece
// models, the weights of a Transformer or an LSTM with the seeds' settings); each input becomes
// both directories' config.json, and a loaded model translates a sentence.
//
// load_model_dir builds the model the configuration describes before it reads the weights, so a
// configuration asking for d_model 10^9 allocates that much: a legitimate request, not a bad input.
// Inputs whose "model" object holds a number above kMaxSize are therefore not loaded.
#include <nlohmann/json.hpp>

#include "heed/core/random.h"
#include "heed/data/tokenizer.h"
#include "heed/nn/serialize.h"
#include "heed/train/model_dir.h"
#include "fuzz_util.h"

using namespace heed;

namespace {

constexpr int64_t kMaxSize = 64;
constexpr int64_t kVocabSize = 8;

void write_model_dir(const std::filesystem::path& dir, const train::ModelConfig& config) {
  std::filesystem::create_directories(dir);
  const data::Vocab vocab = data::Vocab::from_tokens({"<pad>", "<s>", "</s>", "<unk>", "the", "cat", "le", "chat"});
  vocab.save((dir / train::kSourceVocabFile).string());
  vocab.save((dir / train::kTargetVocabFile).string());
  const std::vector<std::string> sentences = {"the cat", "le chat", "the chat", "le cat"};
  data::train_sentencepiece(sentences, (dir / train::kSourceSentencePieceFile).string(), {.vocab_size = 12});
  data::train_sentencepiece(sentences, (dir / train::kTargetSentencePieceFile).string(), {.vocab_size = 12});
  manual_seed(1);
  nn::save(*train::make_model(config), (dir / train::kWeightsFile).string());
}

// The two directories, made once per process.
const std::vector<std::filesystem::path>& model_dirs() {
  static const std::vector<std::filesystem::path> dirs = [] {
    const std::filesystem::path transformer = fuzz::scratch_dir() / "transformer", lstm = fuzz::scratch_dir() / "lstm";
    write_model_dir(transformer, models::TransformerConfig{.source_vocab_size = kVocabSize, .target_vocab_size = kVocabSize,
                                                           .d_model = 8, .nhead = 2, .num_encoder_layers = 1,
                                                           .num_decoder_layers = 1, .dim_feedforward = 16,
                                                           .max_length = 16});
    write_model_dir(lstm, models::LSTMSeq2SeqConfig{.source_vocab_size = kVocabSize, .target_vocab_size = kVocabSize,
                                                    .embedding_size = 8, .hidden_size = 8});
    return std::vector{transformer, lstm};
  }();
  return dirs;
}

// Whether every number in the JSON text's "model" object is at most kMaxSize (true when it does
// not parse: the loader's own refusal is what the input tests then).
bool small_enough(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("model") || !json["model"].is_object()) return true;
  for (const auto& [key, value] : json["model"].items())
    if (value.is_number() && value.get<double>() > static_cast<double>(kMaxSize)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  if (!small_enough(text)) return 0;
  for (const std::filesystem::path& dir : model_dirs()) {
    fuzz::write_scratch((dir.filename() / train::kConfigFile).string(), text);
    fuzz::expect_success_or_error([&] {
      const train::Translator translator = train::load_model_dir(dir.string());
      translator.translate({"the cat"}, {.max_length = 4});
    });
  }
  return 0;
}
