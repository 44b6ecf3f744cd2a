// heed: the one header a user includes.
//
//   #include <heed/heed.h>
//   using namespace heed;
//
// Reading order for the curious: core/tensor.h (what a tensor is), core/autograd.h (how
// gradients flow), ops/elementwise.cpp (an op and its backward), ops/matmul.cpp (BLAS),
// then nn/, models/ (translation models and decoding), data/ (text to batches, toy tasks) and
// train/ (the training loop, translating, model directories; the `heed` command in cli/ uses it),
// dist/ (data-parallel training over MPI).
#pragma once

#include "heed/core/allocator.h"
#include "heed/core/anomaly.h"
#include "heed/core/atomic_file.h"
#include "heed/core/autograd.h"
#include "heed/core/blas.h"
#include "heed/core/error.h"
#include "heed/core/factories.h"
#include "heed/core/format.h"
#include "heed/core/gradcheck.h"
#include "heed/core/graph_dot.h"
#include "heed/core/parallel.h"
#include "heed/core/random.h"
#include "heed/core/tensor.h"

#include "heed/ops/additive_attention.h"
#include "heed/ops/attention.h"
#include "heed/ops/compare.h"
#include "heed/ops/dropout.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/gru.h"
#include "heed/ops/index.h"
#include "heed/ops/inplace.h"
#include "heed/ops/loss.h"
#include "heed/ops/lstm.h"
#include "heed/ops/matmul.h"
#include "heed/ops/norm.h"
#include "heed/ops/reduce.h"
#include "heed/ops/shape.h"
#include "heed/ops/softmax.h"

#include "heed/nn/activation.h"
#include "heed/nn/embedding.h"
#include "heed/nn/feed_forward.h"
#include "heed/nn/gru.h"
#include "heed/nn/init.h"
#include "heed/nn/layer_norm.h"
#include "heed/nn/linear.h"
#include "heed/nn/lstm.h"
#include "heed/nn/module.h"
#include "heed/nn/multihead_attention.h"
#include "heed/nn/positional.h"
#include "heed/nn/recurrent.h"
#include "heed/nn/rnn_attention.h"
#include "heed/nn/sequential.h"
#include "heed/nn/serialize.h"
#include "heed/nn/transformer.h"
#include "heed/nn/transformer_layer.h"

#include "heed/optim/adam.h"
#include "heed/optim/clip.h"
#include "heed/optim/optimizer.h"
#include "heed/optim/schedule.h"
#include "heed/optim/sgd.h"

#include "heed/models/decode.h"
#include "heed/models/lstm_seq2seq.h"
#include "heed/models/seq2seq.h"
#include "heed/models/transformer.h"

#include "heed/data/batch.h"
#include "heed/data/metrics.h"
#include "heed/data/tasks.h"
#include "heed/data/text_file.h"
#include "heed/data/tokenizer.h"
#include "heed/data/tsv.h"
#include "heed/data/vocab.h"

#include "heed/train/checkpoint.h"
#include "heed/train/checkpoint_writer.h"
#include "heed/train/eval_mode.h"
#include "heed/train/history.h"
#include "heed/train/metrics_csv.h"
#include "heed/train/model_config.h"
#include "heed/train/model_dir.h"
#include "heed/train/plots.h"
#include "heed/train/progress.h"
#include "heed/train/replicas.h"
#include "heed/train/report_writer.h"
#include "heed/train/svg.h"
#include "heed/train/text_side.h"
#include "heed/train/trainer.h"
#include "heed/train/translator.h"

// dist/: data-parallel training over MPI, when heed was built with it (CMake defines HEED_HAS_MPI).
#if HEED_HAS_MPI
#include "heed/dist/mpi_replicas.h"
#endif
