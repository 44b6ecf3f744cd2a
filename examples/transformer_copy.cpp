// A Transformer learns to copy symbol sequences, with every step of training written out: the
// task's data, tokens to ids, batches, the model, the optimiser and its warmup schedule, the loss,
// and finally greedy decoding of held-out sequences and their exact-match score.
//
//   ./build/bin/transformer_copy            (about 2000 updates, ~1 minute on 2 cores)
//   ./build/bin/transformer_copy 50         (any number of updates: a quick look)
//
// The `heed train` command (cli/) and train::Trainer (train/) do all this for you; this file shows
// what they do.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <heed/heed.h>

using namespace heed;

int main(int argc, char** argv) {
  const int64_t updates = argc > 1 ? std::atoll(argv[1]) : 2000;
  manual_seed(1);

  // 1. Data: "c a f" -> "c a f", with disjoint train / valid / test splits.
  data::ToyTask task = data::make_task("copy", {.seed = 1});
  auto tokenizer = data::make_tokenizer(task.source_tokenizer);
  std::vector<std::vector<std::string>> sentences;
  for (const auto& [source, target] : task.train) {
    sentences.push_back(tokenizer->tokenize(source));
    sentences.push_back(tokenizer->tokenize(target));
  }
  data::Vocab vocab = data::Vocab::build(sentences);  // source and target share one vocabulary
  data::Batcher batcher(data::encode_pairs(task.train, *tokenizer, *tokenizer, vocab, vocab),
                        {.max_tokens = 2048, .seed = 1});

  // 2. The model: a small pre-norm Transformer whose embeddings and output layer share one table.
  models::Transformer model({.source_vocab_size = vocab.size(),
                             .target_vocab_size = vocab.size(),
                             .d_model = 64,
                             .nhead = 4,
                             .num_encoder_layers = 2,
                             .num_decoder_layers = 2,
                             .dim_feedforward = 256,
                             .dropout = 0.1f,
                             .share_embeddings = true,
                             .tie_output = true});
  std::printf("%s\n", model.to_string().c_str());

  // 3. AdamW with the Noam schedule: a linear warmup, then decay as 1/√step.
  optim::AdamW optimizer(model.parameters(), {.betas = {0.9f, 0.98f}, .weight_decay = 0.0f});
  optim::NoamSchedule schedule(optimizer, {.d_model = 64, .warmup_steps = 400, .factor = 2.0});

  // 4. Training: next-token cross-entropy with label smoothing; padding counts for nothing.
  model.train();
  int64_t step = 0;
  for (int64_t epoch = 0; step < updates; ++epoch) {
    for (const data::Batch& batch : batcher.epoch(epoch)) {
      if (step == updates) break;
      Tensor logits = model.forward(batch.src, batch.tgt_in);  // (B, T, V)
      Tensor loss = ops::cross_entropy(logits, batch.tgt_out,
                                       {.ignore_index = data::Vocab::pad_id, .label_smoothing = 0.1f});
      optimizer.zero_grad();
      loss.backward();
      optim::clip_grad_norm(model.parameters(), 1.0f);
      optimizer.step();
      schedule.step();
      if (++step % 100 == 0 || step == updates) {
        std::printf("step %5lld  loss %.4f  lr %.2e\n", static_cast<long long>(step), loss.item<float>(),
                    static_cast<double>(optimizer.lr()));
      }
    }
  }

  // 5. Held-out sequences, decoded greedily one token at a time.
  model.eval();
  std::vector<data::Tokens> hypotheses, references;
  std::vector<std::string> sources;
  data::Batcher test_batches(data::encode_pairs(task.test, *tokenizer, *tokenizer, vocab, vocab),
                             {.max_tokens = 4096, .shuffle = false});
  for (const data::Batch& batch : test_batches.epoch(0)) {
    std::vector<models::Hypothesis> decoded = models::decode(model, batch.src);
    for (size_t row = 0; row < decoded.size(); ++row) {
      hypotheses.push_back(vocab.decode(decoded[row].tokens));
      const data::SentencePair& pair = task.test[static_cast<size_t>(batch.indices[row])];
      sources.push_back(pair.first);
      references.push_back(tokenizer->tokenize(pair.second));
    }
  }
  std::printf("held-out exact match: %.1f%% of %zu sequences\n", 100 * data::exact_match(hypotheses, references),
              hypotheses.size());
  for (size_t i = 0; i < 3 && i < sources.size(); ++i) {
    std::printf("  %-20s -> %s\n", sources[i].c_str(), tokenizer->detokenize(hypotheses[i]).c_str());
  }
  return 0;
}
