// Initialisers: fill a parameter in place with the random values a layer starts from.
//
// They draw from heed's seeded generator (manual_seed) and write under no-grad, so they can be
// applied to parameters that require grad. Fan-in and fan-out follow PyTorch: for a weight of
// shape (out, in, k...) fan_in = in·k..., fan_out = out·k....
#pragma once

#include "heed/core/tensor.h"

namespace heed::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, ReLU, LeakyReLU, Tanh, Sigmoid };

// The gain PyTorch's calculate_gain gives: 1, √2, √(2 / (1 + a²)), 5/3, 1.
float calculate_gain(Nonlinearity nonlinearity, float negative_slope = 0.01f);
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& weight);

void uniform_(Tensor& t, float low, float high);
void normal_(Tensor& t, float mean = 0.0f, float stddev = 1.0f);
void constant_(Tensor& t, float value);
void zeros_(Tensor& t);
void ones_(Tensor& t);
// U(−b, b) with b = gain·√(6 / (fan_in + fan_out)); N(0, gain²·2 / (fan_in + fan_out)).
void xavier_uniform_(Tensor& t, float gain = 1.0f);
void xavier_normal_(Tensor& t, float gain = 1.0f);
// U(−b, b) with b = gain·√(3 / fan); N(0, gain² / fan); gain from the nonlinearity (and `a`,
// the negative slope, for LeakyReLU).
void kaiming_uniform_(Tensor& t, float a = 0.0f, FanMode mode = FanMode::FanIn,
                      Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
void kaiming_normal_(Tensor& t, float a = 0.0f, FanMode mode = FanMode::FanIn,
                     Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);

}  // namespace heed::nn::init
