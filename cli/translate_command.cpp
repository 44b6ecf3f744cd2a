// heed translate: sentences from the command line, or standard input a line at a time, through a
// saved model; one translation a line on standard output. --attention-svg draws the first
// sentence's cross-attention.
#include <iostream>

#include "commands.h"
#include "decode_flags.h"
#include "heed/data/text_file.h"
#include "heed/data/tokenizer.h"
#include "heed/train/model_config.h"
#include "heed/train/model_dir.h"
#include "heed/train/plots.h"
#include "load_model.h"
#include "usage.h"

namespace heed::cli {

namespace {

struct TranslateFlags {
  std::string model_dir;
  std::vector<std::string> texts;
  DecodeFlags decode;
  std::string attention_svg;
  int64_t layer = -1, head = -1;  // -1: the mean
  CLI::Option* layer_option = nullptr;
  CLI::Option* head_option = nullptr;
};

constexpr size_t kChunk = 256;  // stdin lines translated together

// The decoder layers and heads whose attention a model reports.
std::pair<int64_t, int64_t> attention_shape(const models::Seq2Seq& model) {
  const train::ModelConfig config = train::config_of(model);
  if (const auto* c = std::get_if<models::TransformerConfig>(&config)) return {c->num_decoder_layers, c->nhead};
  return {1, 1};
}

int run_translate(const TranslateFlags& f) {
  const models::DecodeOptions decode = f.decode.options();
  require(f.layer_option->count() == 0 || !f.attention_svg.empty(), "--layer needs --attention-svg");
  require(f.head_option->count() == 0 || !f.attention_svg.empty(), "--head needs --attention-svg");
  const train::Translator translator = load_model(f.model_dir);
  train::AttentionSelection selection;
  if (!f.attention_svg.empty()) {
    const auto [layers, heads] = attention_shape(translator.model());
    require(f.layer_option->count() == 0 || (f.layer >= 0 && f.layer < layers),
            "--layer {} is out of range: the model has {} decoder layer(s), numbered from 0", f.layer, layers);
    require(f.head_option->count() == 0 || (f.head >= 0 && f.head < heads),
            "--head {} is out of range: the model has {} attention head(s), numbered from 0", f.head, heads);
    if (f.layer_option->count() > 0) selection.layer = f.layer;
    if (f.head_option->count() > 0) selection.head = f.head;
  }

  bool first_chunk = true;
  auto translate = [&](const std::vector<std::string>& texts) {
    models::DecodeOptions options = decode;
    options.need_attention = first_chunk && !f.attention_svg.empty();
    const std::vector<train::Translation> translations = translator.translate(texts, options);
    for (const train::Translation& translation : translations) std::cout << translation.text << '\n';
    std::cout.flush();
    if (options.need_attention) {
      require(!translations.front().source_tokens.empty(), "--attention-svg: the first sentence is empty");
      train::Heatmap map = train::attention_heatmap(translations.front(), selection);
      data::write_file_atomically(f.attention_svg, train::heatmap_svg(map), "translate");
    }
    first_chunk = false;
  };

  if (!f.texts.empty()) {
    translate(f.texts);
    return 0;
  }
  std::vector<std::string> chunk;
  std::string line;
  for (int64_t number = 1; std::getline(std::cin, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A bad line ends the input: every line before it is translated and printed first.
    if (const size_t bad = data::invalid_utf8_offset(line); bad != std::string_view::npos) {
      if (!chunk.empty()) translate(chunk);
      throw Error(fmt::format("translate: standard input, line {}: invalid UTF-8 at byte {}", number, bad));
    }
    chunk.push_back(line);
    if (chunk.size() == kChunk) translate(chunk), chunk.clear();
  }
  if (!chunk.empty()) translate(chunk);
  require(!first_chunk || f.attention_svg.empty(), "--attention-svg: no sentence to translate");
  return 0;
}

}  // namespace

Runner add_translate_command(CLI::App& command) {
  auto f = std::make_shared<TranslateFlags>();
  command.footer("Without TEXT, translates standard input a line at a time. Example: heed translate --model runs/copy \"3 1 4\"");
  command.add_option("--model", f->model_dir, "a model directory written by heed train")->required();
  command.add_option("text", f->texts, "sentences to translate (default: standard input, one a line)");
  f->decode.add_to(command);
  command.add_option("--attention-svg", f->attention_svg, "draw the first sentence's cross-attention to this SVG file");
  f->layer_option = command.add_option("--layer", f->layer, "the decoder layer to draw, from 0 (default: the mean)");
  f->head_option = command.add_option("--head", f->head, "the attention head to draw, from 0 (default: the mean)");
  return [f] { return run_translate(*f); };
}

}  // namespace heed::cli
