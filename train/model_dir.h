// A model directory: everything needed to translate with a trained model, in one folder.
//
//   model.safetensors   the weights (nn::save: written to a temporary file, then renamed)
//   config.json         the model's kind and every field of its configuration, each side's
//                       tokenizer and vocabulary file, the special ids:
//                         {"format": "heed-model", "version": 1,
//                          "model": {"kind": "transformer", "d_model": 128, ...},
//                          "source": {"tokenizer": "words", "vocab": "vocab.src.txt"},
//                          "target": {"tokenizer": "sentencepiece", "vocab": "vocab.tgt.txt",
//                                     "sentencepiece_model": "spm.tgt.model"},
//                          "special_ids": {"pad": 0, "bos": 1, "eos": 2, "unk": 3},
//                          "training": {"step": 800, "steps": 800}}
//                       ("training", from heed train only: the weights are those of update
//                       `step` of a run of `steps`; fewer when the run stopped early)
//   vocab.src.txt, vocab.tgt.txt    the vocabularies (data::Vocab::save)
//   spm.src.model, spm.tgt.model    the SentencePiece models, for sides that use one
//
//   train::save_model_dir(translator, "out/");
//   train::Translator loaded = train::load_model_dir("out/");
//
// Loading checks everything before returning: a missing or malformed file, a missing or mistyped
// field, vocabularies that do not fit the configuration, weights that do not fit the model — each
// is a heed::Error naming the file.
#pragma once

#include <optional>
#include <string>

#include "heed/train/model_config.h"
#include "heed/train/translator.h"

namespace heed::train {

inline constexpr const char* kWeightsFile = "model.safetensors";
inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kSourceVocabFile = "vocab.src.txt";
inline constexpr const char* kTargetVocabFile = "vocab.tgt.txt";
inline constexpr const char* kSourceSentencePieceFile = "spm.src.model";
inline constexpr const char* kTargetSentencePieceFile = "spm.tgt.model";
inline constexpr const char* kTrainLockFile = "train.lock";

// How far the training run that saved a model directory got: its weights are those after update
// `step` of `steps`. A run that stopped early (interrupted, diverged, killed) leaves step < steps;
// step 0 is a model that never trained.
struct TrainingProgress {
  int64_t step = 0, steps = 0;
  bool finished() const { return step >= steps; }
};

// Creates `dir` if needed and writes every file. The model must be a Transformer or an
// LSTMSeq2Seq (train/model_config.h). A SentencePiece side's model file is copied in unless it
// already is the directory's spm.*.model. `progress`, from a training run, goes into config.json.
void save_model_dir(const Translator& translator, const std::string& dir,
                    std::optional<TrainingProgress> progress = std::nullopt);

// The "training" object of `dir`'s config.json; nullopt for a model not saved by a training run.
std::optional<TrainingProgress> read_training_progress(const std::string& dir);

// Throws heed::Error naming `file` and the first float tensor of `state` holding a NaN or an
// infinity (its name and the element's index): weights no training or translation can use.
void check_finite(const nn::StateDict& state, const std::string& file, const char* op);

// Whether `dir` holds a model or a run's checkpoints (config.json or checkpoint-<step>.safetensors):
// what a fresh training run into `dir` would destroy. A model of step 0 (its run failed before
// training) is none.
bool holds_model(const std::string& dir);

// Removes a model directory's files: config.json first, so that from that moment the folder is no
// model at all (load_model_dir says config.json is missing), then the checkpoints, the weights,
// the vocabularies, the SentencePiece models, metrics.csv and training.svg. A run killed while
// replacing a model thus leaves the old model, no model, or the new one, never a mix.
void remove_model_dir_files(const std::string& dir);

// One training run's claim on a model directory, from construction to destruction: `dir`/train.lock,
// locked with flock(2) and holding the owner's pid. A second claim, from another process or this
// one, is a heed::Error naming the folder and the owner's pid. The kernel drops the lock when its
// process dies, so a killed run's lock never blocks the next run (the file itself stays).
//
//   train::ModelDirLock lock("runs/copy");   // throws while another heed train writes there
class ModelDirLock {
 public:
  explicit ModelDirLock(const std::string& dir);
  ~ModelDirLock();
  ModelDirLock(const ModelDirLock&) = delete;
  ModelDirLock& operator=(const ModelDirLock&) = delete;

 private:
  int fd_ = -1;
};

// The "model" object of config.json for `config`, as one line of JSON: equal strings, equal configurations.
std::string model_config_json(const ModelConfig& config);

// The translator of a saved model, its model in evaluation mode.
Translator load_model_dir(const std::string& dir);

}  // namespace heed::train
