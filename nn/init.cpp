#include "heed/nn/init.h"

#include <cmath>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/ops/elementwise.h"

namespace heed::nn::init {
namespace {

// Overwrites t (any layout) with `values` (dense, same shape), without recording anything.
void assign(Tensor& t, const Tensor& values) {
  NoGradGuard no_grad;
  copy_into(t, values);
}

}  // namespace

float calculate_gain(Nonlinearity nonlinearity, float negative_slope) {
  switch (nonlinearity) {
    case Nonlinearity::Linear: return 1.0f;
    case Nonlinearity::ReLU: return std::sqrt(2.0f);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0f / (1.0f + negative_slope * negative_slope));
    case Nonlinearity::Tanh: return 5.0f / 3.0f;
    case Nonlinearity::Sigmoid: return 1.0f;
  }
  return 1.0f;
}

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& weight) {
  HEED_CHECK(weight.dim() >= 2, "init", "fan in and fan out need a tensor of at least 2 dims; got shape {}",
             weight.shape());
  int64_t receptive = weight.numel() / (weight.size(0) * weight.size(1));
  return {weight.size(1) * receptive, weight.size(0) * receptive};
}

void uniform_(Tensor& t, float low, float high) { assign(t, rand(t.shape()) * (high - low) + low); }

void normal_(Tensor& t, float mean, float stddev) { assign(t, randn(t.shape()) * stddev + mean); }

void constant_(Tensor& t, float value) { assign(t, full(t.shape(), value)); }
void zeros_(Tensor& t) { constant_(t, 0.0f); }
void ones_(Tensor& t) { constant_(t, 1.0f); }

void xavier_uniform_(Tensor& t, float gain) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  float bound = gain * std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
  uniform_(t, -bound, bound);
}

void xavier_normal_(Tensor& t, float gain) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  normal_(t, 0.0f, gain * std::sqrt(2.0f / static_cast<float>(fan_in + fan_out)));
}

static float kaiming_scale(const Tensor& t, float a, FanMode mode, Nonlinearity nonlinearity) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  float fan = static_cast<float>(mode == FanMode::FanIn ? fan_in : fan_out);
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}

void kaiming_uniform_(Tensor& t, float a, FanMode mode, Nonlinearity nonlinearity) {
  float bound = std::sqrt(3.0f) * kaiming_scale(t, a, mode, nonlinearity);
  uniform_(t, -bound, bound);
}

void kaiming_normal_(Tensor& t, float a, FanMode mode, Nonlinearity nonlinearity) {
  normal_(t, 0.0f, kaiming_scale(t, a, mode, nonlinearity));
}

}  // namespace heed::nn::init
