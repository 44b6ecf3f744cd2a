// Model directories (train/model_dir.h): a saved and reloaded model translates exactly as before,
// for both model kinds and with SentencePiece; every broken directory is an error naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "heed/train/model_dir.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {

using testing::expect_error;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("heed_test_model_dir_" + name);
  fs::remove_all(dir);
  return dir;
}

void expect_same_translations(const train::Translator& a, const train::Translator& b,
                              const std::vector<std::string>& texts) {
  for (int64_t beam : {1, 3}) {
    const auto x = a.translate(texts, {.beam_size = beam}), y = b.translate(texts, {.beam_size = beam});
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(x[i].text, y[i].text) << texts[i];
      EXPECT_EQ(x[i].score, y[i].score) << texts[i];
    }
  }
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(TrainModelDir, LstmRoundTripTranslatesTheSame) {
  const auto pairs = testing::reversal_pairs(40);
  const train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  const fs::path dir = fresh_dir("lstm");
  train::save_model_dir(translator, dir.string());
  for (const char* file : {"model.safetensors", "config.json", "vocab.src.txt", "vocab.tgt.txt"})
    EXPECT_GT(fs::file_size(dir / file), 0u) << file;
  const train::Translator loaded = train::load_model_dir(dir.string());
  EXPECT_FALSE(loaded.model().is_training());
  EXPECT_EQ(train::describe(train::config_of(loaded.model())), train::describe(train::config_of(translator.model())));
  EXPECT_EQ(loaded.source().vocab.tokens(), translator.source().vocab.tokens());
  EXPECT_EQ(loaded.target().vocab.tokens(), translator.target().vocab.tokens());
  EXPECT_EQ(read_json(dir / "config.json")["model"]["kind"], "lstm");
  expect_same_translations(translator, loaded, {"a b c", "f e d c b", "a"});
  fs::remove_all(dir);
}

TEST(TrainModelDir, TransformerRoundTripKeepsEveryConfigField) {
  const auto pairs = testing::reversal_pairs(40);
  const train::Translator translator = testing::tiny_translator(pairs, [](int64_t s, int64_t t) {
    models::TransformerConfig c = testing::tiny_transformer(s, t);
    c.norm_first = false;
    c.positions = models::PositionalEncoding::Learned;
    c.activation = nn::Activation::GELU;
    c.tie_output = true;
    c.max_length = 64;
    return c;
  });
  const fs::path dir = fresh_dir("transformer");
  train::save_model_dir(translator, dir.string());
  const train::Translator loaded = train::load_model_dir(dir.string());
  const auto a = std::get<models::TransformerConfig>(train::config_of(translator.model()));
  const auto b = std::get<models::TransformerConfig>(train::config_of(loaded.model()));
  EXPECT_EQ(b.num_decoder_layers, 2);
  EXPECT_EQ(b.norm_first, a.norm_first);
  EXPECT_EQ(b.positions, a.positions);
  EXPECT_EQ(b.activation, a.activation);
  EXPECT_EQ(b.tie_output, a.tie_output);
  EXPECT_EQ(b.max_length, a.max_length);
  EXPECT_EQ(b.dropout, a.dropout);
  expect_same_translations(translator, loaded, {"a b c", "f e d c b", "a"});
  fs::remove_all(dir);
}

TEST(TrainModelDir, SentencePieceModelsTravelWithTheModel) {
  const auto pairs = testing::reversal_pairs(200);
  const fs::path scratch = fresh_dir("spm_scratch"), dir = fresh_dir("spm");
  fs::create_directories(scratch);
  train::TextSideOptions options;
  options.tokenizer = "sentencepiece";
  options.sentencepiece.vocab_size = 20;
  options.sentencepiece_model = (scratch / "src.model").string();
  train::TextSide source = train::build_text_side(train::sources_of(pairs), options);
  options.sentencepiece_model = (scratch / "tgt.model").string();
  train::TextSide target = train::build_text_side(train::targets_of(pairs), options);
  manual_seed(5);
  const train::Translator translator(train::make_model(testing::tiny_lstm(source.vocab.size(), target.vocab.size())),
                                     source, target);
  train::save_model_dir(translator, dir.string());
  fs::remove_all(scratch);  // the directory must not depend on the original model files
  EXPECT_GT(fs::file_size(dir / "spm.src.model"), 0u);
  EXPECT_GT(fs::file_size(dir / "spm.tgt.model"), 0u);
  const train::Translator loaded = train::load_model_dir(dir.string());
  EXPECT_EQ(loaded.source().tokenizer->kind(), "sentencepiece");
  EXPECT_EQ(loaded.source().tokenize("a b c d"), translator.source().tokenize("a b c d"));
  expect_same_translations(translator, loaded, {"a b c", "f e d c b"});
  fs::remove_all(dir);
}

TEST(TrainModelDir, EveryBrokenDirectoryIsAnErrorNamingTheFile) {
  const auto pairs = testing::reversal_pairs(20);
  const train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  const fs::path dir = fresh_dir("broken");
  const std::string d = dir.string();
  expect_error([&] { train::load_model_dir(d); }, {"load_model_dir", "no such directory"});
  auto fresh = [&] {
    fs::remove_all(dir);
    train::save_model_dir(translator, d);
  };
  const nlohmann::json good = (fresh(), read_json(dir / "config.json"));
  struct Case {
    std::function<void()> damage;
    std::vector<const char*> expected;
  };
  auto edit = [&](std::function<void(nlohmann::json&)> change) {
    return [&, change] {
      nlohmann::json json = good;
      change(json);
      write_text(dir / "config.json", json.dump());
    };
  };
  const std::vector<Case> cases = {
      {[&] { fs::remove(dir / "config.json"); }, {"config.json", "no such file"}},
      {[&] { fs::remove(dir / "model.safetensors"); }, {"model.safetensors", "no such file"}},
      {[&] { fs::remove(dir / "vocab.src.txt"); }, {"vocab.src.txt", "no such file"}},
      {[&] { write_text(dir / "config.json", "{\"format\": \"heed-model\", "); }, {"config.json", "malformed JSON"}},
      {edit([](auto& j) { j["model"].erase("hidden_size"); }), {"config.json", "model.hidden_size", "missing"}},
      {edit([](auto& j) { j["model"]["num_layers"] = "two"; }), {"config.json", "model.num_layers", "wrong type"}},
      {edit([](auto& j) { j["model"]["kind"] = "gru"; }), {"config.json", "model.kind", "gru"}},
      {edit([](auto& j) { j["source"]["tokenizer"] = "bytes"; }), {"config.json", "source.tokenizer"}},
      {edit([](auto& j) { j["version"] = 99; }), {"config.json", "version 99"}},
      {edit([](auto& j) { j["model"]["source_vocab_size"] = 1000; }), {"vocab.src.txt", "1000"}},
      {edit([](auto& j) { j["model"]["hidden_size"] = 64; }), {"model.safetensors"}},
      {[&] { write_text(dir / "model.safetensors", "garbage"); }, {"model.safetensors"}},
      {[&] { write_text(dir / "vocab.tgt.txt", "a\nb\n"); }, {"vocab.tgt.txt"}},
  };
  for (const Case& c : cases) {
    fresh();
    c.damage();
    try {
      train::load_model_dir(d);
      ADD_FAILURE() << "expected an error mentioning " << c.expected.front();
    } catch (const Error& e) {
      const std::string message = e.what();
      for (const char* part : c.expected) EXPECT_NE(message.find(part), std::string::npos) << message;
    }
  }
  fs::remove_all(dir);
}

// Found while writing tests/fuzz/fuzz_model_config.cpp: config.json could name any file on the
// machine as a vocabulary ("/etc/hostname", "../x"), and the loader read it.
TEST(TrainModelDir, ConfigNamesOnlyFilesInsideTheDirectory) {
  const auto pairs = testing::reversal_pairs(20);
  const train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  const fs::path dir = fresh_dir("escape");
  train::save_model_dir(translator, dir.string());
  const nlohmann::json good = read_json(dir / "config.json");
  const fs::path outside = dir.parent_path() / "vocab.outside.txt";
  fs::copy_file(dir / "vocab.src.txt", outside, fs::copy_options::overwrite_existing);
  for (const std::string& name : {outside.string(), "../" + outside.filename().string(), std::string("./vocab.src.txt"),
                                  std::string(".."), std::string(""), std::string("vocab.src.txt\0x", 15)}) {
    nlohmann::json json = good;
    json["source"]["vocab"] = name;
    write_text(dir / "config.json", json.dump());
    expect_error([&] { train::load_model_dir(dir.string()); },
                 {"load_model_dir", "config.json", "source.vocab", "expected the name of a file in the directory"});
  }
  fs::remove(outside);
  fs::remove_all(dir);
}


// A fresh run replacing a model removes config.json before anything else, so a run killed at any
// point leaves the old model, no model, or the new one: never one's config.json beside the other's files.
TEST(TrainModelDir, RemovingAModelTakesItsConfigFirst) {
  const auto pairs = testing::reversal_pairs(40);
  const fs::path dir = fresh_dir("replace");
  EXPECT_FALSE(train::holds_model(dir.string()));
  train::save_model_dir(testing::tiny_translator(pairs, testing::tiny_lstm), dir.string());
  EXPECT_TRUE(train::holds_model(dir.string()));
  write_text(dir / "checkpoint-3.safetensors", "a checkpoint");
  write_text(dir / "notes.txt", "the user's own file");

  fs::remove(dir / "config.json");  // a half-removed model: its checkpoints still make it a run to keep
  EXPECT_TRUE(train::holds_model(dir.string()));
  train::remove_model_dir_files(dir.string());
  EXPECT_FALSE(train::holds_model(dir.string()));
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir)) left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"notes.txt"});
  expect_error([&] { train::load_model_dir(dir.string()); }, {"config.json: no such file"});
  fs::remove_all(dir);
}

// heed train marks how far its run got; a model of step 0 (a run that failed before training) is
// no model to keep, one saved outside a run (no mark) is.
TEST(TrainModelDir, TheTrainingProgressIsSavedAndAnUntrainedModelMayBeReplaced) {
  const auto pairs = testing::reversal_pairs(40);
  const train::Translator translator = testing::tiny_translator(pairs, testing::tiny_lstm);
  const fs::path dir = fresh_dir("progress");
  train::save_model_dir(translator, dir.string());
  EXPECT_EQ(train::read_training_progress(dir.string()), std::nullopt);
  EXPECT_TRUE(train::holds_model(dir.string()));

  train::save_model_dir(translator, dir.string(), train::TrainingProgress{.step = 0, .steps = 500});
  const std::optional<train::TrainingProgress> untrained = train::read_training_progress(dir.string());
  ASSERT_TRUE(untrained.has_value());
  EXPECT_EQ(untrained->steps, 500);
  EXPECT_FALSE(untrained->finished());
  EXPECT_FALSE(train::holds_model(dir.string()));
  write_text(dir / "checkpoint-3.safetensors", "a checkpoint");  // but its checkpoints are a run to resume
  EXPECT_TRUE(train::holds_model(dir.string()));
  fs::remove(dir / "checkpoint-3.safetensors");

  train::save_model_dir(translator, dir.string(), train::TrainingProgress{.step = 500, .steps = 500});
  EXPECT_TRUE(train::read_training_progress(dir.string())->finished());
  EXPECT_TRUE(train::holds_model(dir.string()));
  train::load_model_dir(dir.string());  // the mark is no obstacle to loading
  fs::remove_all(dir);
}

// One training run at a time in a model directory; the lock of a run that died does not block.
TEST(TrainModelDir, ALockedDirectoryRefusesASecondRunNamingTheOwner) {
  const fs::path dir = fresh_dir("lock");
  fs::create_directories(dir);
  {
    const train::ModelDirLock first(dir.string());
    std::ifstream in(dir / "train.lock");
    int64_t owner = 0;
    in >> owner;
    EXPECT_EQ(owner, ::getpid());
    expect_error([&] { train::ModelDirLock second(dir.string()); },
                 {"ModelDirLock", dir.string().c_str(), fmt::format("pid {}", ::getpid()).c_str()});
  }
  const train::ModelDirLock again(dir.string());  // released with the first
  fs::remove_all(dir);

  fs::create_directories(dir);
  write_text(dir / "train.lock", "999999999\n");  // a killed run's file, no longer locked
  const train::ModelDirLock after_a_crash(dir.string());
  fs::remove_all(dir);
}

}  // namespace heed

// ---- sizes checked before anything is allocated (issue 15) ----
namespace heed {

TEST(TrainModelDir, WeightCountIsThatOfTheBuiltModel) {
  const auto transformer = [](auto change) {
    models::TransformerConfig c{.source_vocab_size = 11, .target_vocab_size = 13, .d_model = 8, .nhead = 2,
                                .num_encoder_layers = 2, .num_decoder_layers = 3, .dim_feedforward = 12,
                                .max_length = 20};
    change(c);
    return train::ModelConfig(c);
  };
  const auto lstm = [](auto change) {
    models::LSTMSeq2SeqConfig c{.source_vocab_size = 11, .target_vocab_size = 13, .embedding_size = 6,
                                .hidden_size = 10, .num_layers = 2};
    change(c);
    return train::ModelConfig(c);
  };
  const std::vector<train::ModelConfig> configs = {
      transformer([](auto&) {}),
      transformer([](auto& c) { c.norm_first = false; }),
      transformer([](auto& c) { c.norm_first = false, c.final_norms = true, c.tie_output = true; }),
      transformer([](auto& c) {
        c.target_vocab_size = 11, c.share_embeddings = true, c.positions = models::PositionalEncoding::Learned;
      }),
      lstm([](auto&) {}),
      lstm([](auto& c) { c.bidirectional_encoder = false, c.input_feeding = false, c.num_layers = 1; }),
      lstm([](auto& c) { c.attention = models::RnnAttentionKind::LuongDot, c.num_layers = 3; }),
      lstm([](auto& c) { c.attention = models::RnnAttentionKind::LuongGeneral; }),
  };
  for (const train::ModelConfig& config : configs) {
    int64_t floats = 0;
    for (const auto& [name, t] : train::make_model(config)->state_dict()) floats += t.numel();
    EXPECT_EQ(train::weight_count(config), static_cast<double>(floats)) << train::describe(config);
  }
}

TEST(TrainModelDir, AModelTooLargeForMemoryIsRefusedNamingItsLargestPart) {
  models::TransformerConfig deep = testing::tiny_transformer(20, 20);
  deep.num_encoder_layers = 1'000'000'000;
  expect_error([&] { train::make_model(deep); },
               {"make_model", "more than the", "of memory available", "the encoder (num_encoder_layers 1000000000"});
  models::TransformerConfig wide = testing::tiny_transformer(20, 20);
  wide.dim_feedforward = 1'000'000'000'000;
  expect_error([&] { train::make_model(wide); }, {"dim_feedforward 1000000000000"});
  models::LSTMSeq2SeqConfig lstm = testing::tiny_lstm(20, 20);
  lstm.hidden_size = 1'000'000'000;
  expect_error([&] { train::make_model(lstm); }, {"hidden_size 1000000000"});
}

TEST(TrainModelDir, AConfigThatDisagreesWithTheWeightsIsRefusedNamingTheField) {
  const auto pairs = testing::reversal_pairs(20);
  const train::Translator translator = testing::tiny_translator(pairs, testing::tiny_transformer);
  const fs::path dir = fresh_dir("config_against_weights");
  train::save_model_dir(translator, dir.string());
  const std::string config_file = (dir / "config.json").string(), weights_file = (dir / "model.safetensors").string();
  const std::map<std::string, Shape> weights = nn::load_shapes(weights_file);
  const auto saved = std::get<models::TransformerConfig>(train::config_of(translator.model()));
  train::check_config_fits_weights(saved, weights, config_file, weights_file);  // agrees

  auto changed = saved;
  changed.d_model = 1'000'000'000;
  expect_error([&] { train::check_config_fits_weights(changed, weights, config_file, weights_file); },
               {config_file.c_str(), "\"model.d_model\" is 1000000000", weights_file.c_str(),
                fmt::format("has {}", saved.d_model).c_str()});
  changed = saved;
  changed.dim_feedforward = 1'000'000'000'000;
  expect_error([&] { train::check_config_fits_weights(changed, weights, config_file, weights_file); },
               {"\"model.dim_feedforward\" is 1000000000000", fmt::format("has {}", saved.dim_feedforward).c_str()});
  changed = saved;
  changed.num_encoder_layers = 1'000'000;
  expect_error([&] { train::check_config_fits_weights(changed, weights, config_file, weights_file); },
               {"\"model.num_encoder_layers\" is 1000000",
                fmt::format("has {} layers", saved.num_encoder_layers).c_str()});
  changed = saved;
  changed.target_vocab_size += 1;
  expect_error([&] { train::check_config_fits_weights(changed, weights, config_file, weights_file); },
               {"\"model.target_vocab_size\""});

  const train::Translator lstm = testing::tiny_translator(pairs, testing::tiny_lstm);
  nn::save(lstm.model(), weights_file);
  auto lstm_config = std::get<models::LSTMSeq2SeqConfig>(train::config_of(lstm.model()));
  train::check_config_fits_weights(lstm_config, nn::load_shapes(weights_file), config_file, weights_file);
  lstm_config.hidden_size *= 2;
  expect_error(
      [&] { train::check_config_fits_weights(lstm_config, nn::load_shapes(weights_file), config_file, weights_file); },
      {"\"model.hidden_size\""});
  fs::remove_all(dir);
}

}  // namespace heed
