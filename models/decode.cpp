// Greedy decoding and beam search over models::Seq2Seq's start/step/select interface.
//
// A translation model gives, for a source sentence and the target prefix produced so far, a
// distribution over the next token. Decoding searches for the target y that maximises
//   score(y) = Σ_t log p(y_t | y_<t, x),   with y ending in EOS.
// Exact search is hopeless (V^T prefixes), so we search approximately:
//
// Greedy: take the most likely token at every step. One row of the decoder state per sentence;
// a sentence that produced EOS is done, and its row is dropped from the state (select) so that
// no further work is spent on it.
//
// Beam search keeps the K best prefixes ("beams") per sentence instead of one:
//   1. Each alive beam b with score s_b proposes all V extensions b+v, scored s_b + log p(v | b).
//   2. Of the K·V candidates of a sentence, keep the top K (partial sort: only the K best are
//      ordered). The first step starts from a single row per sentence (BOS), so its K candidates
//      are K different tokens and the beams never start identical; select() then copies that
//      row into K rows.
//   3. A kept candidate ending in EOS leaves the beam: it becomes a FINISHED hypothesis, and the
//      sentence keeps the best one seen so far. The others stay ALIVE and form the next step's
//      rows, so the number of alive beams is K minus the EOS candidates of this step.
//   4. The decoder state must follow the beams: the new row i continues the candidate's parent
//      row, so the state is reordered with select(parents). A parent may be copied into several
//      rows (two good extensions) or vanish (none of its extensions survived).
//   5. Tokens are not copied along with the rows. Each kept candidate is an Entry (its token and
//      a BACK-POINTER to its parent's entry at the previous step); a hypothesis is read by
//      following the back-pointers from its last entry back to the first step. The attention
//      rows of a hypothesis are found the same way: an entry also remembers the state row that
//      produced it, i.e. its row in that step's attention.
//
// Ranking. Scores are sums of log-probabilities, so every extra token lowers a score: raw sums
// favour short translations. GNMT's length penalty divides a finished hypothesis's score by
//   lp(len) = ((5 + len) / 6)^alpha,
// where len counts every token whose log-probability is in the score: the tokens AND the EOS.
// alpha = 0 gives lp = 1 (raw sums); larger alpha favours longer translations.
//
// Stopping. A sentence is done when
//   - it has no alive beam left (all K kept candidates were EOS), or
//   - no alive beam can still beat its best finished hypothesis. With alpha = 0 this is exact:
//     an alive beam's score only decreases as it grows, so once best finished ≥ best alive, no
//     continuation can win. With alpha > 0 a longer continuation is divided by a larger penalty
//     and could in principle still win; we then stop, as is usual, when the sentence has at least
//     K finished hypotheses and the best finished one beats every alive beam's score divided by
//     the penalty of its current length.
//   - the beams hold max_length tokens (at most the model's max_positions() − 1, the positions
//     of BOS and those tokens): one last step may still end them with EOS (EOS is not
//     counted in max_length), but no token beyond. A sentence without any finished hypothesis
//     then returns its best alive beam, marked unfinished. A finished hypothesis is always
//     preferred to an unfinished one.
// Finished sentences drop out of the state, so late steps only run the sentences still searching.
//
// Ties are broken the same way everywhere (higher score, then lower row, then lower token id), so
// beam search with K = 1 returns exactly what greedy decoding returns.
#include "heed/models/decode.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/parallel.h"
#include "heed/ops/shape.h"
#include "heed/ops/softmax.h"

namespace heed::models {
namespace {

constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

std::string shape_of(const Tensor& t) { return t.defined() ? fmt::format("{}", t.shape()) : "undefined"; }

// Checks what every decoder is given; returns the most tokens a translation may have: the asked
// max_length (or 2·S + 10), capped by the model's positions. Decoding feeds BOS and every token
// but the last, which may still be followed by EOS: max_length tokens take max_length + 1 positions.
int64_t checked_max_length(const char* op, const Seq2Seq& model, const Tensor& src, const DecodeOptions& options) {
  HEED_CHECK(src.defined(), op, "src is undefined; expected a (B, S) int64 tensor of token ids");
  HEED_CHECK(src.dim() == 2 && src.dtype() == Dtype::Int64, op,
             "src is {} {}; expected a (B, S) int64 tensor of token ids", src.shape(), dtype_name(src.dtype()));
  HEED_CHECK(options.beam_size >= 1, op, "beam_size is {}; expected at least 1", options.beam_size);
  HEED_CHECK(options.max_length >= 0, op,
             "max_length is {}; expected a positive token count, or 0 for 2·S + 10", options.max_length);
  HEED_CHECK(std::isfinite(options.length_penalty) && options.length_penalty >= 0.0f, op,
             "length_penalty is {}; expected a finite alpha >= 0", options.length_penalty);
  const int64_t positions = model.max_positions();
  HEED_CHECK(positions == 0 || src.size(1) <= positions, op,
             "src {} has sources of {} tokens; the model represents at most {} positions", src.shape(), src.size(1),
             positions);
  const int64_t asked = options.max_length > 0 ? options.max_length : 2 * src.size(1) + 10;
  return positions > 0 ? std::min(asked, positions - 1) : asked;
}

// GNMT's length penalty ((5 + len) / 6)^alpha; exactly 1 when alpha = 0.
double length_penalty(int64_t length, float alpha) {
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, static_cast<double>(alpha));
}

// One decoding step's results as plain arrays: log-probabilities (N, V) and, when asked for, the
// attention (N, L, H, S), both dense.
struct StepResult {
  Tensor log_probs;  // (N, V)
  Tensor attention;  // (N, L, H, S) or undefined
  int64_t vocab = 0;
  int64_t attention_row = 0;  // L·H·S floats per row

  const float* log_probs_of(int64_t row) const { return log_probs.data<float>() + row * vocab; }
  const float* attention_of(int64_t row) const { return attention.data<float>() + row * attention_row; }
};

// Feeds `tokens` (one per state row) to the model and checks what comes back.
StepResult run_step(const char* op, const Seq2Seq& model, DecoderState& state,
                    const std::vector<int64_t>& tokens, bool need_attention, int64_t source_length,
                    int64_t eos) {
  const auto rows = static_cast<int64_t>(tokens.size());
  HEED_CHECK(state.rows() == rows, op, "the decoder state has {} rows; the decoder expected {}",
             state.rows(), rows);
  StepOutput out = model.step(state, from_vector(tokens), need_attention);
  const Tensor& logits = out.logits;
  HEED_CHECK(logits.defined() && logits.dim() == 2 && logits.size(0) == rows && logits.size(1) > 0 &&
                 logits.dtype() == Dtype::Float32,
             op, "the model's step returned logits {} for {} rows; expected float32 (N, V) = ({}, V)",
             shape_of(logits), rows, rows);
  StepResult result;
  result.vocab = logits.size(1);
  HEED_CHECK(eos >= 0 && eos < result.vocab, op, "EOS id {} is outside the {} logits of a step", eos,
             result.vocab);
  result.log_probs = ops::contiguous(ops::log_softmax(logits, 1));  // (N, V)
  if (need_attention) {
    const Tensor& attention = out.attention;
    HEED_CHECK(attention.defined() && attention.dim() == 4 && attention.size(0) == rows &&
                   attention.size(3) == source_length && attention.dtype() == Dtype::Float32,
               op, "the model's step returned attention {}; expected float32 (N, L, H, S) with N = {}, S = {}",
               shape_of(attention), rows, source_length);
    result.attention = ops::contiguous(attention);  // (N, L, H, S)
    result.attention_row = attention.size(1) * attention.size(2) * attention.size(3);
  }
  return result;
}

// Writes the k most likely tokens of one row of log-probabilities to best[0..k), best first, ties
// to the lower id; k <= vocab. One pass over the V entries: once the list is full, a token enters
// only if it beats the current k-th, so most tokens cost a single comparison. Returns false on
// NaN (the model produced NaN logits), which would otherwise win or lose comparisons at random.
bool top_tokens(const float* log_probs, int64_t vocab, int64_t k, int64_t* best) {
  int64_t size = 0;
  auto insert = [&](int64_t token) {  // into best[0..size], keeping it sorted
    int64_t i = size++;
    for (; i > 0 && log_probs[token] > log_probs[best[i - 1]]; --i) best[i] = best[i - 1];
    best[i] = token;
  };
  int64_t token = 0;
  for (; token < k; ++token) {
    if (std::isnan(log_probs[token])) return false;
    insert(token);
  }
  float threshold = log_probs[best[k - 1]];  // the k-th best so far
  for (; token < vocab; ++token) {
    if (log_probs[token] <= threshold) continue;  // the common case (a NaN fails it too)
    if (std::isnan(log_probs[token])) return false;
    --size;  // the k-th leaves
    insert(token);
    threshold = log_probs[best[k - 1]];
  }
  return true;
}

// The k best tokens of every row of a step: best (N·k), row after row. Rows run in parallel.
void best_tokens(const char* op, const StepResult& result, int64_t k, std::vector<int64_t>& best) {
  const int64_t rows = result.log_probs.size(0);
  best.resize(static_cast<size_t>(rows * k));
  std::vector<unsigned char> clean(static_cast<size_t>(rows));
  parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / result.vocab), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row)
      clean[static_cast<size_t>(row)] = top_tokens(result.log_probs_of(row), result.vocab, k, best.data() + row * k);
  });
  for (int64_t row = 0; row < rows; ++row)
    HEED_CHECK(clean[static_cast<size_t>(row)], op, "the model's logits for row {} hold NaN", row);
}

// The attention of every step, (L, H, S) each, checked to keep one shape.
struct AttentionLayout {
  int64_t layers = 1, heads = 1;
  bool known = false;

  void observe(const char* op, const Tensor& attention) {  // attention (N, L, H, S)
    if (!known) {
      layers = attention.size(1), heads = attention.size(2), known = true;
      return;
    }
    HEED_CHECK(attention.size(1) == layers && attention.size(2) == heads, op,
               "the model's attention changed from L = {}, H = {} to {} between steps", layers, heads,
               attention.shape());
  }
  // (steps, L, H, S) from `values`, steps·L·H·S floats.
  Tensor tensor(const std::vector<float>& values, int64_t steps, int64_t source_length) const {
    return from_vector(values, {steps, layers, heads, source_length});
  }
};

void append_row(std::vector<float>& out, const float* row, int64_t count) {
  out.insert(out.end(), row, row + count);
}

// ---- beam search bookkeeping ----

// A candidate kept at some step: its token, and a back-pointer to the entry it extends.
struct Entry {
  int64_t parent;  // index into the previous step's entries; -1 at the first step (after BOS)
  int64_t token;
  int64_t row;     // the state row that proposed it: its row in that step's attention
};

// One of a sentence's K·V candidates: state row `row` extended by `token`.
struct Candidate {
  float score;
  int64_t row;
  int64_t token;
};

// The order of candidates: higher score first; ties go to the lower row, then the lower token.
bool ranks_before(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.row != b.row) return a.row < b.row;
  return a.token < b.token;
}

// Where a hypothesis ends: entry `entry` of step `step` (step 0, entry -1: nothing decoded).
struct Ending {
  int64_t step = 0;
  int64_t entry = -1;
  float score = 0.0f;
  double ranking = -std::numeric_limits<double>::infinity();  // score / lp(step) when finished
  bool finished = false;
};

struct SentenceSearch {
  Ending best;                 // the best finished hypothesis so far (or, at the end, an unfinished one)
  int64_t finished_count = 0;  // how many EOS candidates were kept
};

// The alive beams, one per state row, grouped by sentence, best first within a sentence.
struct Beams {
  std::vector<int64_t> sentence;  // which sentence the row belongs to
  std::vector<int64_t> entry;     // its last entry (at the step just taken)
  std::vector<float> score;       // its sum of log-probabilities
  std::vector<int64_t> token;     // its last token, fed to the next step
  std::vector<int64_t> parent_row;  // the state row it extends (to select)

  size_t size() const { return sentence.size(); }
  void clear() { resize(0); }
  void resize(size_t n) {
    sentence.resize(n), entry.resize(n), score.resize(n), token.resize(n), parent_row.resize(n);
  }
  void push(int64_t s, int64_t e, float sc, int64_t t, int64_t p) {
    sentence.push_back(s), entry.push_back(e), score.push_back(sc), token.push_back(t), parent_row.push_back(p);
  }
};

// Reads a hypothesis back from its ending by following the back-pointers.
Hypothesis read_hypothesis(const Ending& ending, const std::vector<std::vector<Entry>>& history,
                           const std::vector<StepResult>& steps, const AttentionLayout& layout,
                           int64_t source_length, bool need_attention) {
  Hypothesis hypothesis;
  hypothesis.score = ending.score;
  hypothesis.finished = ending.finished;
  std::vector<int64_t> rows(static_cast<size_t>(ending.step));  // each step's attention row
  hypothesis.tokens.resize(static_cast<size_t>(ending.step));
  for (int64_t step = ending.step, index = ending.entry; step >= 1; --step) {
    const Entry& entry = history[static_cast<size_t>(step - 1)][static_cast<size_t>(index)];
    hypothesis.tokens[static_cast<size_t>(step - 1)] = entry.token;
    rows[static_cast<size_t>(step - 1)] = entry.row;
    index = entry.parent;
  }
  if (ending.finished) hypothesis.tokens.pop_back();  // the EOS
  if (need_attention) {
    std::vector<float> values;
    for (size_t step = 0; step < rows.size(); ++step)
      append_row(values, steps[step].attention_of(rows[step]), steps[step].attention_row);
    hypothesis.attention = layout.tensor(values, ending.step, source_length);
  }
  return hypothesis;
}

}  // namespace

std::vector<Hypothesis> greedy_decode(const Seq2Seq& model, const Tensor& src, const DecodeOptions& options) {
  constexpr const char* op = "greedy_decode";
  const int64_t max_length = checked_max_length(op, model, src, options);
  NoGradGuard no_grad;
  const int64_t batch = src.size(0), source_length = src.size(1);
  const int64_t eos = model.special_ids().eos;
  std::vector<Hypothesis> hypotheses(static_cast<size_t>(batch));
  if (batch == 0) return hypotheses;
  std::vector<std::vector<float>> attention(options.need_attention ? hypotheses.size() : 0);
  AttentionLayout layout;

  std::unique_ptr<DecoderState> state = model.start(src);
  std::vector<int64_t> sentence(hypotheses.size());  // the sentence each state row decodes
  std::iota(sentence.begin(), sentence.end(), int64_t{0});
  std::vector<int64_t> tokens(hypotheses.size(), model.special_ids().bos);  // fed to the next step
  std::vector<int64_t> kept_rows, kept_sentence, kept_tokens, argmax;
  for (int64_t step = 1; !tokens.empty(); ++step) {
    // Past max_length tokens, one more step may still end a row with EOS, but adds nothing else.
    const bool last = step > max_length;
    StepResult result = run_step(op, model, *state, tokens, options.need_attention, source_length, eos);
    if (options.need_attention) layout.observe(op, result.attention);
    best_tokens(op, result, 1, argmax);
    kept_rows.clear(), kept_sentence.clear(), kept_tokens.clear();
    for (int64_t row = 0; row < static_cast<int64_t>(tokens.size()); ++row) {
      const float* log_probs = result.log_probs_of(row);
      const int64_t best = argmax[static_cast<size_t>(row)];
      if (log_probs[best] == kNegativeInfinity) continue;  // every token impossible: stop unfinished
      if (last && best != eos) continue;                   // max_length reached: stop unfinished
      const auto s = static_cast<size_t>(sentence[static_cast<size_t>(row)]);
      Hypothesis& hypothesis = hypotheses[s];
      hypothesis.score += log_probs[best];
      if (options.need_attention) append_row(attention[s], result.attention_of(row), result.attention_row);
      if (best == eos) {
        hypothesis.finished = true;
        continue;
      }
      hypothesis.tokens.push_back(best);
      kept_rows.push_back(row), kept_sentence.push_back(sentence[static_cast<size_t>(row)]), kept_tokens.push_back(best);
    }
    // Finished rows leave the state, so later steps only run the sentences still decoding.
    if (!kept_rows.empty() && kept_rows.size() < tokens.size()) state->select(from_vector(kept_rows));
    std::swap(sentence, kept_sentence);
    std::swap(tokens, kept_tokens);
  }
  if (options.need_attention)
    for (size_t s = 0; s < hypotheses.size(); ++s)
      hypotheses[s].attention = layout.tensor(
          attention[s], static_cast<int64_t>(hypotheses[s].tokens.size()) + (hypotheses[s].finished ? 1 : 0),
          source_length);
  return hypotheses;
}

std::vector<Hypothesis> beam_search(const Seq2Seq& model, const Tensor& src, const DecodeOptions& options) {
  constexpr const char* op = "beam_search";
  const int64_t max_length = checked_max_length(op, model, src, options);
  NoGradGuard no_grad;
  const int64_t batch = src.size(0), source_length = src.size(1);
  const int64_t beam_size = options.beam_size;
  const float alpha = options.length_penalty;
  const SpecialIds ids = model.special_ids();
  if (batch == 0) return {};

  std::vector<SentenceSearch> searches(static_cast<size_t>(batch));
  std::vector<std::vector<Entry>> history;  // history[t - 1]: the entries kept at step t
  std::vector<StepResult> steps;            // with need_attention: every step's result, for its attention
  AttentionLayout layout;

  std::unique_ptr<DecoderState> state = model.start(src);
  Beams beams, next;  // the rows of the current state, and those of the next step
  for (int64_t s = 0; s < batch; ++s) beams.push(s, -1, 0.0f, ids.bos, s);  // one row per sentence
  std::vector<Candidate> candidates;
  std::vector<int64_t> row_best;  // (N, per_row): each row's best tokens
  for (int64_t step = 1; beams.size() > 0; ++step) {
    const bool last = step > max_length;  // only EOS may follow max_length tokens
    StepResult result = run_step(op, model, *state, beams.token, options.need_attention, source_length, ids.eos);
    if (options.need_attention) layout.observe(op, result.attention);
    std::vector<Entry>& kept = history.emplace_back();
    const int64_t per_row = std::min(beam_size, result.vocab);
    best_tokens(op, result, per_row, row_best);
    next.clear();

    const auto rows = static_cast<int64_t>(beams.size());
    for (int64_t begin = 0, end = 0; begin < rows; begin = end) {
      const int64_t sentence = beams.sentence[static_cast<size_t>(begin)];
      while (end < rows && beams.sentence[static_cast<size_t>(end)] == sentence) ++end;

      // The sentence's top K of K·V candidates are among the top K of each of its rows: collect
      // those (at most K·K), then order the K best with a partial sort.
      candidates.clear();
      for (int64_t row = begin; row < end; ++row) {
        const float* log_probs = result.log_probs_of(row);
        const float score = beams.score[static_cast<size_t>(row)];
        for (int64_t i = 0; i < per_row; ++i) {
          const int64_t token = row_best[static_cast<size_t>(row * per_row + i)];
          if (log_probs[token] == kNegativeInfinity) break;  // impossible tokens are no candidates
          candidates.push_back({score + log_probs[token], row, token});
        }
      }
      const auto top = std::min(static_cast<size_t>(beam_size), candidates.size());
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(top),
                        candidates.end(), ranks_before);

      SentenceSearch& search = searches[static_cast<size_t>(sentence)];
      const size_t first_alive = next.size();
      for (size_t i = 0; i < top; ++i) {
        const Candidate& candidate = candidates[i];
        if (last && candidate.token != ids.eos) continue;
        const auto entry = static_cast<int64_t>(kept.size());
        kept.push_back({beams.entry[static_cast<size_t>(candidate.row)], candidate.token, candidate.row});
        if (candidate.token == ids.eos) {  // a finished hypothesis; its length counts the EOS
          ++search.finished_count;
          const double ranking = candidate.score / length_penalty(step, alpha);
          if (ranking > search.best.ranking) search.best = {step, entry, candidate.score, ranking, true};
        } else {  // an alive beam: a row of the next step, continuing state row candidate.row
          next.push(sentence, entry, candidate.score, candidate.token, candidate.row);
        }
      }

      // Is the sentence done? Alive beams are in rank order, so the first is the best.
      bool done = next.size() == first_alive;
      if (!done && search.finished_count > 0 && (alpha == 0.0f || search.finished_count >= beam_size)) {
        const double best_alive = next.score[first_alive] / length_penalty(step, alpha);
        done = search.best.ranking >= best_alive;
      }
      if (done) {
        if (search.finished_count == 0)  // nothing finished: the best beam so far, unfinished
          search.best = {step - 1, beams.entry[static_cast<size_t>(begin)], beams.score[static_cast<size_t>(begin)],
                         0.0, false};
        next.resize(first_alive);  // its beams leave the state
      }
    }

    if (options.need_attention) {  // keep the step's attention for read_hypothesis, not its log-probs
      result.log_probs = Tensor();
      steps.push_back(std::move(result));
    }
    // Reorder the state to follow the beams: next row i continues row next.parent_row[i]. When
    // nothing moved (K = 1, no sentence done), the state stays as it is.
    bool moved = next.size() != beams.size();
    for (size_t i = 0; !moved && i < next.size(); ++i) moved = next.parent_row[i] != static_cast<int64_t>(i);
    if (moved && next.size() > 0) state->select(from_vector(next.parent_row));
    std::swap(beams, next);
  }

  std::vector<Hypothesis> hypotheses;
  hypotheses.reserve(searches.size());
  for (const SentenceSearch& search : searches)
    hypotheses.push_back(read_hypothesis(search.best, history, steps, layout, source_length, options.need_attention));
  return hypotheses;
}

std::vector<Hypothesis> decode(const Seq2Seq& model, const Tensor& src, const DecodeOptions& options) {
  return options.beam_size == 1 ? greedy_decode(model, src, options) : beam_search(model, src, options);
}

}  // namespace heed::models
