// Your own translation model, built from nn modules: a GRU encoder-decoder with Luong dot-product
// attention. Implementing models::Seq2Seq (forward for training; start, step and select for
// decoding) is all it takes for greedy and beam search, train::Trainer and train::Translator to
// work with it as they do with heed's Transformer and LSTM.
//
//   ./build/bin/custom_model           (reverse task, about 1500 updates)
//   ./build/bin/custom_model 50        (a quick look)
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <heed/heed.h>

using namespace heed;

// What the decoder carries between steps: the encoder's states, the padding mask, the GRU state.
struct GruDecoderState : models::DecoderState {
  Tensor encoder_states;  // (N, S, H)
  Tensor source_padding;  // (N, S) int64, 1 at padding
  Tensor hidden;          // (N, H)

  void select(const Tensor& rows) override {
    encoder_states = ops::index_select(encoder_states, 0, rows);
    source_padding = ops::index_select(source_padding, 0, rows);
    hidden = ops::index_select(hidden, 0, rows);
  }
  int64_t rows() const override { return hidden.size(0); }
};

class GruTranslator : public models::Seq2Seq {
 public:
  GruTranslator(int64_t vocab_size, int64_t hidden_size) : vocab_size_(vocab_size) {
    embedding = register_module("embedding", nn::Embedding(vocab_size, hidden_size, {.padding_idx = 0}));
    encoder = register_module("encoder", nn::GRU(hidden_size, hidden_size, {.batch_first = true}));
    decoder = register_module("decoder", nn::GRUCell(hidden_size, hidden_size));
    attention = register_module("attention", nn::LuongAttention(hidden_size, hidden_size, {.score = nn::LuongScore::Dot}));
    output = register_module("output", nn::Linear(2 * hidden_size, vocab_size));
  }

  // Teacher forcing: the decoder reads the true previous token at every position.
  Tensor forward(const Tensor& src, const Tensor& tgt_in) const override {
    std::unique_ptr<models::DecoderState> state = start(src);
    std::vector<Tensor> logits;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      logits.push_back(step(*state, ops::select(tgt_in, 1, t)).logits);  // (B, V)
    }
    return ops::stack(logits, 1);  // (B, T, V)
  }

  std::unique_ptr<models::DecoderState> start(const Tensor& src) const override {
    auto state = std::make_unique<GruDecoderState>();
    Tensor padding = ops::eq(src, 0);                                          // (B, S)
    Tensor lengths = ops::count_nonzero(ops::ne(src, 0), 1);                   // (B)
    auto [states, last] = encoder->forward(embedding->forward(src), Tensor(), lengths);
    state->encoder_states = states;                                            // (B, S, H)
    state->source_padding = padding;
    state->hidden = ops::select(last, 0, 0);                                   // (B, H)
    return state;
  }

  models::StepOutput step(models::DecoderState& base, const Tensor& tokens, bool need_attention = false) const override {
    auto& state = dynamic_cast<GruDecoderState&>(base);
    state.hidden = decoder->forward(embedding->forward(tokens), state.hidden);  // (N, H)
    auto [context, weights] = attention->forward(state.hidden, state.encoder_states, state.encoder_states,
                                                 state.source_padding);        // (N, H), (N, S)
    Tensor logits = output->forward(ops::cat({state.hidden, context}, 1));     // (N, V)
    Tensor attention_map = need_attention ? ops::reshape(weights, {weights.size(0), 1, 1, -1}) : Tensor();
    return {logits, attention_map};                                            // (N, V), (N, 1, 1, S)
  }

  int64_t source_vocab_size() const override { return vocab_size_; }
  int64_t target_vocab_size() const override { return vocab_size_; }
  models::SpecialIds special_ids() const override { return {}; }

  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::GRU> encoder;
  std::shared_ptr<nn::GRUCell> decoder;
  std::shared_ptr<nn::LuongAttention> attention;
  std::shared_ptr<nn::Linear> output;

 private:
  int64_t vocab_size_;
};

int main(int argc, char** argv) {
  const int64_t updates = argc > 1 ? std::atoll(argv[1]) : 1500;
  data::ToyTask task = data::make_task("reverse", {.seed = 1});
  // One vocabulary for both sides (the model has one embedding table): built from both sides' text.
  std::vector<std::string> text = train::sources_of(task.train);
  for (const std::string& sentence : train::targets_of(task.train)) text.push_back(sentence);
  train::TextSide side = train::build_text_side(text, {.tokenizer = "words"});

  manual_seed(1);
  auto model = std::make_shared<GruTranslator>(side.vocab.size(), 128);
  std::printf("%s\n", model->to_string().c_str());
  train::Translator translator(model, side, side);
  train::Trainer trainer(translator, {.steps = updates, .max_tokens = 2048, .lr = 3e-3f, .warmup = 100,
                                      .eval_every = std::max<int64_t>(updates / 3, 1)});
  train::ProgressPrinter progress;
  trainer.add_observer(progress);
  trainer.fit(task.train, task.valid);

  for (int beam : {1, 4}) {
    train::EvalScores scores = translator.evaluate(task.test, {.beam_size = beam});
    std::printf("beam %d: held-out exact match %.1f%%, BLEU %.1f\n", beam, 100 * scores.exact_match, scores.bleu);
  }
  return 0;
}
