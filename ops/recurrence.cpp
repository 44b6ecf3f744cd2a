#include "heed/ops/recurrence.h"

#include <algorithm>

#include "heed/core/blas.h"
#include "heed/core/kernels.h"

namespace heed::ops {

std::vector<int64_t> sequence_lengths(const Tensor& lengths, int64_t batch, int64_t steps, const char* who) {
  if (!lengths.defined()) return std::vector<int64_t>(static_cast<size_t>(batch), steps);
  HEED_CHECK(lengths.dtype() == Dtype::Int64 && lengths.shape() == Shape{batch}, who,
             "lengths is {} of shape {}; expected int64 of shape [{}], one length per sequence of the batch",
             dtype_name(lengths.dtype()), lengths.shape(), batch);
  std::vector<int64_t> out = lengths.to_vector<int64_t>();
  for (size_t b = 0; b < out.size(); ++b)
    HEED_CHECK(out[b] >= 1 && out[b] <= steps, who,
               "lengths[{}] is {}; expected every length in [1, {}] (the input has {} time steps)", b, out[b],
               steps, steps);
  return out;
}

namespace recurrence {

void check_float32(std::initializer_list<std::pair<const char*, const Tensor*>> tensors, const char* op) {
  for (auto [name, tensor] : tensors)
    if (tensor->defined()) check_dtype(*tensor, Dtype::Float32, op, name);
}

void write_initial(const Tensor& state, float* slot, int64_t count) {
  if (state.defined()) {
    const Tensor values = dense(state);
    std::copy(values.data<float>(), values.data<float>() + count, slot);
  } else {
    std::fill(slot, slot + count, 0.0f);
  }
}

void recurrent_product(const float* h, const Tensor& weight_hh, const float* bias, int64_t batch, float* gates) {
  const int64_t gate_features = weight_hh.size(0), hidden = weight_hh.size(1);
  if (bias != nullptr)  // every row starts as the bias, and the GEMM adds to it
    for (int64_t b = 0; b < batch; ++b) std::copy(bias, bias + gate_features, gates + b * gate_features);
  // (B, H) x (H, G·H), reading W_hh (G·H, H) as stored with the Trans flag
  blas::sgemm(false, true, batch, gate_features, hidden, 1.0f, h, hidden, weight_hh.data<float>(), hidden,
              bias != nullptr ? 1.0f : 0.0f, gates, gate_features);
}

void recurrent_product_backward(const float* dgates, const Tensor& weight_hh, int64_t batch, float* dh) {
  const int64_t gate_features = weight_hh.size(0), hidden = weight_hh.size(1);
  // (B, G·H) x (G·H, H), added into dh (beta = 1)
  blas::sgemm(false, false, batch, hidden, gate_features, 1.0f, dgates, gate_features, weight_hh.data<float>(),
              hidden, 1.0f, dh, hidden);
}

Tensor weight_hh_gradient(const Tensor& dgates, const Tensor& h_in) {
  const int64_t rows = dgates.size(0) * dgates.size(1), gate_features = dgates.size(2), hidden = h_in.size(2);
  Tensor grad = Tensor::empty({gate_features, hidden});
  // (G·H, T·B) x (T·B, H), reading dgates (T·B, G·H) as stored with the Trans flag
  blas::sgemm(true, false, gate_features, hidden, rows, 1.0f, dgates.data<float>(), gate_features,
              h_in.data<float>(), hidden, 0.0f, grad.mutable_data<float>(), hidden);
  return grad;
}

}  // namespace recurrence
}  // namespace heed::ops
