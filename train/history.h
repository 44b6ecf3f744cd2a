// What a training run records: a StepRecord every log interval, a ValidationRecord at every
// validation, both kept in a TrainHistory that train::Trainer returns (train/trainer.h) and that
// the progress printer, metrics.csv and training.svg are drawn from.
//
// Units: losses are natural-log cross-entropies per target token; BLEU is 0..100; exact match and
// token accuracy are fractions in [0, 1].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heed::train {

// Training as seen after update `step`, averaged over the updates since the previous record.
struct StepRecord {
  int64_t step = 0;                 // updates done so far (1 after the first)
  int64_t total_steps = 0;          // updates the run will do
  int64_t epoch = 0;                // passes over the training data begun (0 in the first)
  double loss = 0;                  // mean training loss per target token (label smoothing included)
  double lr = 0;                    // learning rate of the latest update
  double grad_norm = 0;             // gradient norm before clipping, latest update
  double tokens_per_second = 0;     // non-padding source + target tokens trained on per second
  double elapsed_seconds = 0;       // since training began, validations included
};

// One validation sentence and how the model translated it.
struct SampleTranslation {
  std::string source = {}, reference = {}, hypothesis = {};
};

struct ValidationRecord {
  int64_t step = 0;                 // updates done when it ran
  double loss = 0;                  // teacher-forced cross-entropy per target token, no smoothing
  double perplexity = 0;            // exp(loss)
  double bleu = 0;                  // corpus BLEU-4, 0..100, on `sentences` decoded sentences
  double exact_match = 0;           // fraction of those translated exactly
  double token_accuracy = 0;        // fraction of reference tokens matched position by position
  int64_t sentences = 0;            // sentences decoded for BLEU and exact match
  std::vector<SampleTranslation> samples = {};
  double seconds = 0;               // time the validation took
};

struct TrainHistory {
  std::vector<StepRecord> steps = {};
  std::vector<ValidationRecord> validations = {};
  double seconds = 0;               // the whole run
  bool stopped = false;             // fit() stopped early at a stop request (train/trainer.h)
};

}  // namespace heed::train
