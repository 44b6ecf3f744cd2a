// heed train: data (a toy task or TSV files) -> tokenizers and vocabularies -> a Transformer or an
// LSTM with attention -> train::Trainer with a progress display -> a model directory with
// metrics.csv and training.svg -> the score on the test set (or the validation set).
// Checkpoints go into the model directory as training goes; --resume continues the run they came
// from; Ctrl-C saves one and exits with status 130. A folder that takes no files is refused before
// training starts; a save that fails (a full disk) ends the run with the error, the last checkpoint whole.
// With --distributed (under mpirun) every rank trains its shard of each batch (train/replicas.h);
// rank 0 builds the run (vocabularies, weights, model directory) and the others load it from --out,
// so --out must be one folder every rank sees; only rank 0 prints, checkpoints and scores.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.h"
#include "decode_flags.h"
#include "distributed.h"
#include "heed/core/anomaly.h"
#include "heed/core/atomic_file.h"
#include "heed/core/parallel.h"
#include "heed/core/random.h"
#include "heed/data/tasks.h"
#include "heed/data/tsv.h"
#include "heed/train/checkpoint_writer.h"
#include "heed/train/model_config.h"
#include "heed/train/model_dir.h"
#include "heed/train/progress.h"
#include "heed/train/report_writer.h"
#include "heed/train/trainer.h"
#include "interrupt.h"
#include "usage.h"

namespace heed::cli {

namespace {

namespace fs = std::filesystem;

struct TrainFlags {
  // Data.
  std::string task, train_file, valid_file, test_file;
  bool skip_bad_lines = false;
  bool detect_anomaly = false;  // report the first op that produces NaN or Inf
  int64_t data_seed = 1, train_size = 0, valid_size = 0, test_size = 0;
  std::string tokenizer;  // empty: the task's, or words
  int64_t vocab_size = 1000, min_frequency = 1, max_vocab = 0;
  // Model.
  std::string model = "transformer";
  int64_t layers = 0;  // when --layers is not given: 3 for the Transformer, 1 for the LSTM
  float dropout = 0.1f;
  int64_t d_model = 128, heads = 4, ff = 512, max_positions = 1024;
  std::string activation = "relu";
  bool post_norm = false, learned_positions = false, tie_output = false;
  std::string pitfall = "none";  // a classic bug on purpose (docs/pitfalls.md)
  int64_t embedding = 128, hidden = 256;
  std::string attention = "additive";
  bool unidirectional = false, no_input_feeding = false;
  // Optimisation.
  int64_t steps = 2000, warmup = -1, max_tokens = 2048, seed = 1;  // warmup -1: a tenth of steps, at most 400
  float lr = 1e-3f, label_smoothing = 0.1f, clip = 1.0f, weight_decay = 0;
  std::string schedule = "inverse-sqrt";
  // Validation and output.
  int64_t eval_every = -1, eval_sentences = 200, log_every = 50;
  DecodeFlags decode;
  std::string out;
  bool resume = false;
  bool overwrite = false;  // a new run may replace the model in --out
  bool distributed = false;  // one rank of a data-parallel run over MPI
  int64_t checkpoint_every = -1, keep_checkpoints = 2;  // checkpoint_every -1: the validation interval
  // Options that only one kind of model reads, to refuse them for the other.
  std::vector<CLI::Option*> transformer_only, lstm_only;
  CLI::Option* layers_option = nullptr;
  CLI::Option* eval_every_option = nullptr;
  CLI::Option* warmup_option = nullptr;
  CLI::Option* lr_option = nullptr;
  CLI::Option* schedule_option = nullptr;
  CLI::Option* checkpoint_every_option = nullptr;

  // --layers, or the model's own default when it is not given.
  int64_t layer_count(int64_t fallback) const { return layers_option->count() > 0 ? layers : fallback; }
  models::Pitfall pitfall_value() const { return models::pitfall_from_name(pitfall).value_or(models::Pitfall::None); }
  bool has_pitfall(models::Pitfall p) const { return pitfall_value() == p; }
  // The warmup to use: 0 for the no-warmup pitfall, --warmup, or a tenth of the steps (1 to 400).
  int64_t warmup_steps() const {
    if (has_pitfall(models::Pitfall::NoWarmup)) return 0;
    return warmup_option->count() > 0 ? warmup : std::clamp<int64_t>(steps / 10, 1, 400);
  }
  // The no-warmup pitfall runs the cosine schedule, the only one that can start at its peak.
  std::string schedule_name() const { return has_pitfall(models::Pitfall::NoWarmup) ? "cosine" : schedule; }
  // The post-norm-high-lr pitfall raises the default peak learning rate to kPitfallHighLr.
  float peak_lr() const {
    return has_pitfall(models::Pitfall::PostNormHighLr) && lr_option->count() == 0 ? kPitfallHighLr : lr;
  }
  static constexpr float kPitfallHighLr = 1e-2f;
};

struct Corpus {
  std::string description;
  std::string source_tokenizer = "words", target_tokenizer = "words";
  std::vector<data::SentencePair> train, valid, test;
};

void check_flags(const TrainFlags& f) {
  require(f.steps >= 1, "--steps must be at least 1 (got {})", f.steps);
  require(f.lr > 0 && std::isfinite(f.lr), "--lr must be positive (got {})", f.lr);
  require(!f.has_pitfall(models::Pitfall::NoWarmup) || (f.warmup_option->count() == 0 && f.schedule_option->count() == 0),
          "--pitfall no-warmup sets the warmup (0) and the schedule (cosine): leave out --warmup and --schedule");
  require(f.warmup_steps() >= (f.schedule_name() == "cosine" ? 0 : 1), "--warmup must be at least {} (got {})",
          f.schedule_name() == "cosine" ? 0 : 1, f.warmup);
  require(f.schedule_name() != "cosine" || f.warmup_steps() < f.steps,
          "--warmup ({}) must be below --steps ({}) for the cosine schedule", f.warmup_steps(), f.steps);
  require(f.max_tokens >= 1, "--max-tokens must be at least 1 (got {})", f.max_tokens);
  require(f.label_smoothing >= 0 && f.label_smoothing < 1, "--label-smoothing must be in [0, 1) (got {})", f.label_smoothing);
  require(f.clip >= 0, "--clip must be >= 0 (got {}; 0 turns clipping off)", f.clip);
  require(f.weight_decay >= 0, "--weight-decay must be >= 0 (got {})", f.weight_decay);
  require(f.seed >= 0, "--seed must be >= 0 (got {})", f.seed);
  require(f.data_seed >= 0, "--data-seed must be >= 0 (got {})", f.data_seed);
  require(f.train_size >= 0 && f.valid_size >= 0 && f.test_size >= 0, "--train-size, --valid-size and --test-size must be >= 0");
  require(f.vocab_size > 4, "--vocab-size must be above 4 (got {})", f.vocab_size);
  require(f.min_frequency >= 1, "--min-frequency must be at least 1 (got {})", f.min_frequency);
  require(f.max_vocab == 0 || f.max_vocab > 4, "--max-vocab must be 0 (no limit) or above 4 (got {})", f.max_vocab);
  require(f.layers_option->count() == 0 || f.layers >= 1, "--layers must be at least 1 (got {})", f.layers);
  require(f.dropout >= 0 && f.dropout < 1, "--dropout must be in [0, 1) (got {})", f.dropout);
  require(f.eval_every_option->count() == 0 || f.eval_every >= 0, "--eval-every must be >= 0 (got {})", f.eval_every);
  require(f.eval_sentences >= 0, "--eval-sentences must be >= 0 (got {})", f.eval_sentences);
  require(f.log_every >= 1, "--log-every must be at least 1 (got {})", f.log_every);
  require(f.checkpoint_every_option->count() == 0 || f.checkpoint_every >= 0, "--checkpoint-every must be >= 0 (got {})",
          f.checkpoint_every);
  require(!(f.overwrite && f.resume), "--overwrite starts a new run in --out: leave it out with --resume");
  require(f.keep_checkpoints >= 1, "--keep-checkpoints must be at least 1 (got {})", f.keep_checkpoints);
  for (CLI::Option* option : f.model == "lstm" ? f.transformer_only : f.lstm_only)
    require(option->count() == 0, "{} does not apply to --model {}", option->get_name(), f.model);
  if (f.model == "transformer") {
    require(f.d_model >= 1, "--d-model must be at least 1 (got {})", f.d_model);
    require(f.heads >= 1, "--heads must be at least 1 (got {})", f.heads);
    require(f.d_model % f.heads == 0, "--heads ({}) must divide --d-model ({})", f.heads, f.d_model);
    require(f.ff >= 1, "--ff must be at least 1 (got {})", f.ff);
    require(f.max_positions >= 1, "--max-positions must be at least 1 (got {})", f.max_positions);
  } else {
    require(f.embedding >= 1, "--embedding must be at least 1 (got {})", f.embedding);
    require(f.hidden >= 1, "--hidden must be at least 1 (got {})", f.hidden);
    require(f.unidirectional || f.hidden % 2 == 0,
            "--hidden must be even with a bidirectional encoder (got {}): each direction has half", f.hidden);
  }
  f.decode.options();
}

std::vector<data::SentencePair> read_tsv(const std::string& flag, const std::string& path, bool skip_bad_lines) {
  require_regular_file(flag, path);
  data::ParallelCorpus corpus = data::read_parallel_tsv(path, {.skip_bad_lines = skip_bad_lines});
  if (corpus.skipped > 0) fmt::print("{}: skipped {} bad line(s)\n", path, corpus.skipped);
  require(!corpus.pairs.empty(), "{} {}: no sentence pairs in the file", flag, path);
  return std::move(corpus.pairs);
}

Corpus load_corpus(const TrainFlags& f) {
  Corpus corpus;
  if (!f.task.empty()) {
    require(f.train_file.empty() && f.valid_file.empty() && f.test_file.empty(),
            "--task cannot be combined with --train, --valid or --test");
    data::ToyTask task = data::make_task(f.task, {.seed = static_cast<uint64_t>(f.data_seed), .train_size = f.train_size,
                                                  .valid_size = f.valid_size, .test_size = f.test_size});
    corpus.description = fmt::format("task {}", task.name);
    corpus.source_tokenizer = task.source_tokenizer;
    corpus.target_tokenizer = task.target_tokenizer;
    corpus.train = std::move(task.train);
    corpus.valid = std::move(task.valid);
    corpus.test = std::move(task.test);
  } else {
    require(!f.train_file.empty() && !f.valid_file.empty(),
            "give --task NAME, or --train FILE and --valid FILE (see heed tasks, heed train --help)");
    require(f.train_size == 0 && f.valid_size == 0 && f.test_size == 0,
            "--train-size, --valid-size and --test-size apply to --task only");
    corpus.description = fmt::format("{} and {}", f.train_file, f.valid_file);
    corpus.train = read_tsv("--train", f.train_file, f.skip_bad_lines);
    corpus.valid = read_tsv("--valid", f.valid_file, f.skip_bad_lines);
    if (!f.test_file.empty()) corpus.test = read_tsv("--test", f.test_file, f.skip_bad_lines);
  }
  if (!f.tokenizer.empty()) corpus.source_tokenizer = corpus.target_tokenizer = f.tokenizer;
  return corpus;
}

train::TextSide build_side(const std::vector<data::SentencePair>& pairs, bool source, const std::string& kind,
                           const TrainFlags& f) {
  train::TextSideOptions options;
  options.tokenizer = kind;
  options.vocab = {.min_frequency = f.min_frequency, .max_size = f.max_vocab};
  options.sentencepiece.vocab_size = f.vocab_size;
  options.sentencepiece_model =
      (fs::path(f.out) / (source ? train::kSourceSentencePieceFile : train::kTargetSentencePieceFile)).string();
  return train::build_text_side(source ? train::sources_of(pairs) : train::targets_of(pairs), options);
}

train::ModelConfig model_config(const TrainFlags& f, int64_t source_vocab, int64_t target_vocab) {
  if (f.model == "transformer") {
    const int64_t layers = f.layer_count(3);
    return models::TransformerConfig{
        .source_vocab_size = source_vocab, .target_vocab_size = target_vocab, .d_model = f.d_model,
        .nhead = f.heads, .num_encoder_layers = layers, .num_decoder_layers = layers, .dim_feedforward = f.ff,
        .dropout = f.dropout, .activation = f.activation == "gelu" ? nn::Activation::GELU : nn::Activation::ReLU,
        .norm_first = !f.post_norm && !f.has_pitfall(models::Pitfall::PostNormHighLr),
        .positions = f.learned_positions ? models::PositionalEncoding::Learned : models::PositionalEncoding::Sinusoidal,
        .max_length = f.max_positions, .share_embeddings = false, .tie_output = f.tie_output, .special = {},
        .pitfall = f.pitfall_value()};
  }
  const models::RnnAttentionKind attention = f.attention == "dot"       ? models::RnnAttentionKind::LuongDot
                                             : f.attention == "general" ? models::RnnAttentionKind::LuongGeneral
                                                                        : models::RnnAttentionKind::Additive;
  return models::LSTMSeq2SeqConfig{
      .source_vocab_size = source_vocab, .target_vocab_size = target_vocab, .embedding_size = f.embedding,
      .hidden_size = f.hidden, .num_layers = f.layer_count(1), .bidirectional_encoder = !f.unidirectional,
      .attention = attention, .input_feeding = !f.no_input_feeding, .dropout = f.dropout, .special = {}};
}

// The warmup of this run. A resumed run without --warmup keeps the first run's, whose default was
// a tenth of that run's --steps: raising --steps must not change it.
int64_t run_warmup(const TrainFlags& f, const std::optional<train::Checkpoint>& checkpoint) {
  if (!checkpoint || f.warmup_option->count() > 0) return f.warmup_steps();
  const auto saved = checkpoint->settings.find("warmup");
  int64_t warmup = -1;
  if (saved != checkpoint->settings.end()) std::from_chars(saved->second.data(), saved->second.data() + saved->second.size(), warmup);
  return warmup >= 0 ? warmup : f.warmup_steps();  // a missing or unreadable setting: Trainer::fit names it
}

train::TrainOptions train_options(const TrainFlags& f, const std::optional<train::Checkpoint>& checkpoint) {
  const int64_t eval_every = f.eval_every >= 0 ? f.eval_every : std::max<int64_t>(1, f.steps / 10);
  return {.steps = f.steps, .max_tokens = f.max_tokens, .lr = f.peak_lr(), .warmup = run_warmup(f, checkpoint),
          .schedule = f.schedule_name() == "cosine" ? train::LrSchedule::WarmupCosine : train::LrSchedule::InverseSqrt,
          .min_lr = 0, .betas = {0.9f, 0.98f}, .eps = 1e-9f, .weight_decay = f.weight_decay,
          .label_smoothing = f.label_smoothing, .clip_norm = f.clip, .log_every = f.log_every,
          .eval_every = eval_every, .eval_sentences = f.eval_sentences, .eval_decode = f.decode.options(),
          .checkpoint_every = f.checkpoint_every >= 0 ? f.checkpoint_every : eval_every,
          .seed = static_cast<uint64_t>(f.seed)};
}

// A new run: fresh vocabularies and weights; the directory gets config.json and the vocabularies
// at once (what --resume needs). A model already there is replaced only with --overwrite, and its
// config.json goes first, so that a run killed on the way never leaves one model's config.json
// beside the other's weights.
train::Translator new_translator(const TrainFlags& f, const Corpus& corpus) {
  require(f.overwrite || !train::holds_model(f.out),
          "--out {} already holds a model (config.json or checkpoints): give --overwrite to replace it, or --resume "
          "to continue its run",
          f.out);
  train::remove_model_dir_files(f.out);
  train::TextSide source = build_side(corpus.train, true, corpus.source_tokenizer, f);
  train::TextSide target = build_side(corpus.train, false, corpus.target_tokenizer, f);
  const train::ModelConfig config = model_config(f, source.vocab.size(), target.vocab.size());
  manual_seed(static_cast<uint64_t>(f.seed));
  train::Translator translator(train::make_model(config), std::move(source), std::move(target));
  train::save_model_dir(translator, f.out, train::TrainingProgress{.step = 0, .steps = f.steps});  // untrained
  return translator;
}

// --resume: the directory's model and vocabularies, checked against the options, and its latest checkpoint.
train::Translator resumed_translator(const TrainFlags& f, const Corpus& corpus, std::optional<train::Checkpoint>& checkpoint) {
  const std::vector<int64_t> steps = train::checkpoint_steps(f.out);
  require(!steps.empty(), "--resume: {} holds no checkpoint-<step>.safetensors to resume from", f.out);
  train::Translator translator = train::load_model_dir(f.out);
  const train::ModelConfig saved = train::config_of(translator.model());
  const train::ModelConfig asked = model_config(f, translator.source().vocab.size(), translator.target().vocab.size());
  require(train::model_config_json(saved) == train::model_config_json(asked),
          "--resume: the model options differ from those of the run in {} ({}); resume with the same options", f.out,
          train::describe(saved));
  require(translator.source().tokenizer->kind() == corpus.source_tokenizer &&
              translator.target().tokenizer->kind() == corpus.target_tokenizer,
          "--resume: the tokenizers differ from those of the run in {} ({} -> {})", f.out,
          translator.source().tokenizer->kind(), translator.target().tokenizer->kind());
  checkpoint = train::load_checkpoint(train::checkpoint_path(f.out, steps.back()));
  return translator;
}

// The translator of this run: resumed from --out, or new (with --distributed, rank 0 makes it and
// writes --out, where the other ranks then read the same vocabularies and configuration).
train::Translator run_translator(const TrainFlags& f, const Corpus& corpus, Distributed* distributed,
                                 std::optional<train::Checkpoint>& checkpoint) {
  if (f.resume) return resumed_translator(f, corpus, checkpoint);
  if (distributed == nullptr) return new_translator(f, corpus);
  if (distributed->lead()) {
    train::Translator translator = new_translator(f, corpus);
    distributed->barrier();
    return translator;
  }
  distributed->barrier();
  return train::load_model_dir(f.out);
}

int train_on(TrainFlags& f, Distributed* distributed) {
  const bool lead = distributed == nullptr || distributed->lead();
  // Only rank 0 prints: the other ranks' standard output goes nowhere (their errors still show).
  if (!lead) require(std::freopen("/dev/null", "w", stdout) != nullptr, "--distributed: cannot silence rank output");
  Corpus corpus = load_corpus(f);
  std::optional<train::ModelDirLock> lock;  // one run at a time in --out, held until this run ends
  if (lead) {
    std::error_code error;
    fs::create_directories(f.out, error);
    require(!error && fs::is_directory(f.out), "--out {}: cannot create the directory: {}", f.out,
            error ? error.message() : "a file of that name is in the way");
    check_writable_folder(f.out, "--out");  // before training for nothing
    lock.emplace(f.out);
  }

  std::optional<train::Checkpoint> checkpoint;
  const train::Translator translator = run_translator(f, corpus, distributed, checkpoint);
  const train::ModelConfig config = train::config_of(translator.model());
  const models::Seq2Seq& model = translator.model();
  const train::TrainOptions options = train_options(f, checkpoint);

  fmt::print("heed train: {}: {} training, {} validation, {} test pairs\n", corpus.description, corpus.train.size(),
             corpus.valid.size(), corpus.test.size());
  fmt::print("  tokens    {} -> {}, vocabularies of {} -> {}\n", corpus.source_tokenizer, corpus.target_tokenizer,
             translator.source().vocab.size(), translator.target().vocab.size());
  fmt::print("  model     {}; {} parameters\n", train::describe(config), model.parameter_count());
  fmt::print("  training  {} steps of up to {} tokens, AdamW (betas 0.9, 0.98, weight decay {}), peak lr {} after {} "
             "warmup steps ({}), label smoothing {}, clip {}, seed {}\n",
             options.steps, options.max_tokens, options.weight_decay, options.lr, options.warmup, f.schedule_name(),
             options.label_smoothing, options.clip_norm, options.seed);
  fmt::print("  validate  {}, {} sentences, beam {}\n  output    {}, checkpoints {}, the last {} kept\n",
             options.eval_every > 0 ? fmt::format("every {} steps", options.eval_every) : std::string("at the end"),
             options.eval_sentences == 0 ? std::string("all") : std::to_string(options.eval_sentences),
             options.eval_decode.beam_size, f.out,
             options.checkpoint_every > 0 ? fmt::format("every {} steps", options.checkpoint_every) : std::string("at the end"),
             f.keep_checkpoints);
  if (f.pitfall != "none")
    fmt::print("  PITFALL   {}: this run reproduces a classic bug on purpose (docs/pitfalls.md)\n", f.pitfall);
  if (distributed != nullptr)
    fmt::print("  ranks     {} data-parallel replicas (MPI), each a shard of every batch, threads per rank {}\n",
               distributed->group().size(), num_threads());
  if (checkpoint) fmt::print("  resume    from step {} ({})\n", checkpoint->step, checkpoint->source);
  std::fflush(stdout);

  const DetectAnomalyGuard anomaly(f.detect_anomaly);
  train::Trainer trainer(translator, options);
  train::ProgressPrinter progress(stdout);
  train::ReportWriter report(f.out);
  train::CheckpointWriter checkpoints(f.out, f.keep_checkpoints);
  trainer.add_observer(progress);
  trainer.add_observer(report);
  trainer.add_observer(checkpoints);
  train::TrainHistory history;
  {
    InterruptGuard interrupt;
    trainer.stop_on(interrupt.flag());
    if (distributed != nullptr) trainer.distribute(distributed->group());
    history = trainer.fit(corpus.train, corpus.valid, checkpoint ? &*checkpoint : nullptr);
  }
  if (!lead) return history.stopped ? kInterruptedStatus : 0;
  const int64_t step = history.stopped ? std::max<int64_t>(checkpoints.last_step(), 0) : options.steps;
  train::save_model_dir(translator, f.out, train::TrainingProgress{.step = step, .steps = options.steps});
  if (history.stopped) {
    fmt::print("interrupted at step {}: checkpoint saved in {}; continue with the same command and --resume\n",
               checkpoints.last_step(), checkpoints.last_path());
    return kInterruptedStatus;
  }

  const bool on_test = !corpus.test.empty();
  const train::EvalScores scores = translator.evaluate(on_test ? corpus.test : corpus.valid, options.eval_decode);
  fmt::print("{} ({} sentences, beam {}): exact_match={:.2f} bleu={:.2f} token_accuracy={:.2f}\n",
             on_test ? "test" : "valid", scores.count, options.eval_decode.beam_size, 100 * scores.exact_match,
             scores.bleu, 100 * scores.token_accuracy);
  fmt::print("saved the model, metrics.csv and training.svg in {}\n", f.out);
  return 0;
}

int run_train(TrainFlags& f) {
  check_flags(f);
  if (!f.distributed) return train_on(f, nullptr);
  Distributed distributed;
  try {
    return train_on(f, &distributed);
  } catch (const std::exception& error) {
    distributed.group().abort(error.what());  // ends the job: the other ranks may be waiting for this one
    throw;  // (abort does not return; the compiler cannot see through the virtual call)
  }
}

}  // namespace

Runner add_train_command(CLI::App& command) {
  auto f = std::make_shared<TrainFlags>();
  command.footer("Scores are percentages. Example: heed train --task copy --steps 500 --out runs/copy");

  command.add_option("--task", f->task, "a built-in toy task (see heed tasks)")->group("Data");
  command.add_option("--train", f->train_file, "training pairs, source<TAB>target a line")->group("Data");
  command.add_option("--valid", f->valid_file, "validation pairs")->group("Data");
  command.add_option("--test", f->test_file, "test pairs, scored at the end (else the validation pairs are)")->group("Data");
  command.add_flag("--skip-bad-lines", f->skip_bad_lines, "skip and count malformed TSV lines instead of stopping")->group("Data");
  command.add_option("--data-seed", f->data_seed, "seed of the toy task's data")->capture_default_str()->group("Data");
  command.add_option("--train-size", f->train_size, "toy task: training pairs (0: the task's default)")->group("Data");
  command.add_option("--valid-size", f->valid_size, "toy task: validation pairs (0: default)")->group("Data");
  command.add_option("--test-size", f->test_size, "toy task: test pairs (0: default)")->group("Data");
  command.add_option("--tokenizer", f->tokenizer, "both sides' tokenizer (default: the task's; words for TSV)")
      ->check(CLI::IsMember({"words", "chars", "sentencepiece"}))->group("Data");
  command.add_option("--vocab-size", f->vocab_size, "SentencePiece vocabulary size")->capture_default_str()->group("Data");
  command.add_option("--min-frequency", f->min_frequency, "rarer tokens become <unk>")->capture_default_str()->group("Data");
  command.add_option("--max-vocab", f->max_vocab, "most vocabulary entries per side (0: no limit)")->capture_default_str()->group("Data");

  command.add_option("--model", f->model, "the model")->check(CLI::IsMember({"transformer", "lstm"}))
      ->capture_default_str()->group("Model");
  f->layers_option = command.add_option("--layers", f->layers, "encoder and decoder layers (default: 3 Transformer, 1 LSTM)")->group("Model");
  command.add_option("--dropout", f->dropout, "dropout probability")->capture_default_str()->group("Model");
  auto transformer = [&](CLI::Option* option) { f->transformer_only.push_back(option->group("Transformer")); };
  auto lstm = [&](CLI::Option* option) { f->lstm_only.push_back(option->group("LSTM")); };
  transformer(command.add_option("--d-model", f->d_model, "model width")->capture_default_str());
  transformer(command.add_option("--heads", f->heads, "attention heads (must divide --d-model)")->capture_default_str());
  transformer(command.add_option("--ff", f->ff, "feed-forward width")->capture_default_str());
  transformer(command.add_option("--activation", f->activation, "feed-forward activation")
                  ->check(CLI::IsMember({"relu", "gelu"}))->capture_default_str());
  transformer(command.add_flag("--post-norm", f->post_norm, "LayerNorm after each sublayer (default: before)"));
  transformer(command.add_flag("--learned-positions", f->learned_positions, "learned positions (default: sinusoidal)"));
  transformer(command.add_option("--max-positions", f->max_positions, "longest sequence the positions cover")->capture_default_str());
  transformer(command.add_flag("--tie-output", f->tie_output, "the output projection reuses the target embeddings"));
  transformer(command.add_option("--pitfall", f->pitfall, "reproduce a classic bug on purpose (docs/pitfalls.md): "
                                 "no-scale, multiplicative-mask, leaking-mask, no-warmup, post-norm-high-lr")
                  ->check(CLI::IsMember({"none", "no-scale", "multiplicative-mask", "leaking-mask", "no-warmup",
                                         "post-norm-high-lr"}))
                  ->capture_default_str());
  lstm(command.add_option("--embedding", f->embedding, "embedding size")->capture_default_str());
  lstm(command.add_option("--hidden", f->hidden, "decoder hidden size (each encoder direction has half)")->capture_default_str());
  lstm(command.add_option("--attention", f->attention, "additive (Bahdanau) or Luong dot / general")
           ->check(CLI::IsMember({"additive", "dot", "general"}))->capture_default_str());
  lstm(command.add_flag("--unidirectional", f->unidirectional, "a forward-only encoder"));
  lstm(command.add_flag("--no-input-feeding", f->no_input_feeding, "without Luong's input feeding"));

  command.add_option("--steps", f->steps, "optimizer updates")->capture_default_str()->group("Optimisation");
  f->lr_option = command.add_option("--lr", f->lr, "peak learning rate (--pitfall post-norm-high-lr: 0.01)")
      ->capture_default_str()->group("Optimisation");
  f->warmup_option = command.add_option("--warmup", f->warmup, "updates of linear warmup to the peak (default: a tenth of --steps, at most 400)")
      ->group("Optimisation");
  f->schedule_option = command.add_option("--schedule", f->schedule, "after warmup: decay as 1/sqrt(step) or a cosine to 0")
      ->check(CLI::IsMember({"inverse-sqrt", "cosine"}))->capture_default_str()->group("Optimisation");
  command.add_option("--max-tokens", f->max_tokens, "padded tokens per batch")->capture_default_str()->group("Optimisation");
  command.add_option("--label-smoothing", f->label_smoothing, "label smoothing")->capture_default_str()->group("Optimisation");
  command.add_option("--clip", f->clip, "largest gradient norm (0: no clipping)")->capture_default_str()->group("Optimisation");
  command.add_option("--weight-decay", f->weight_decay, "AdamW's decoupled weight decay")->capture_default_str()->group("Optimisation");
  command.add_flag("--detect-anomaly", f->detect_anomaly, "stop at the first op whose output or gradient is NaN or Inf, "
                   "naming it, its module and its shapes (slower)")->group("Optimisation");
  command.add_flag("--distributed", f->distributed, "one rank of a data-parallel run: mpirun -np N heed train ... "
                   "--distributed (needs heed built with MPI)")->group("Optimisation");
  command.add_option("--seed", f->seed, "seed of the weights, dropout and batch order")->capture_default_str()->group("Optimisation");

  f->eval_every_option = command.add_option("--eval-every", f->eval_every, "updates between validations (default: a tenth of --steps; 0: only at the end)")
      ->group("Validation");
  command.add_option("--eval-sentences", f->eval_sentences, "validation sentences decoded for BLEU (0: all)")
      ->capture_default_str()->group("Validation");
  command.add_option("--log-every", f->log_every, "updates between log lines (when not on a terminal)")
      ->capture_default_str()->group("Validation");
  f->decode.add_to(command, "Validation");
  command.add_option("--out", f->out, "the model directory to write")->required()->group("Output");
  command.add_flag("--resume", f->resume, "continue the run in --out from its latest checkpoint (same options)")
      ->group("Output");
  command.add_flag("--overwrite", f->overwrite, "replace the model already in --out (a new run is refused there otherwise)")
      ->group("Output");
  f->checkpoint_every_option = command.add_option("--checkpoint-every", f->checkpoint_every,
                                                  "updates between checkpoints (default: --eval-every's; 0: only at the end)")
      ->group("Output");
  command.add_option("--keep-checkpoints", f->keep_checkpoints, "checkpoints kept in --out")->capture_default_str()->group("Output");
  return [f] { return run_train(*f); };
}

}  // namespace heed::cli
