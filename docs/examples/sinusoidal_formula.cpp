// docs/examples/sinusoidal_formula.cpp: heed's sinusoidal table is the paper's formula, sin and cos of
// one frequency interleaved, and that pairing is what turns a shift by k positions into a rotation
// (docs/misconceptions.md, docs/transformer.md). Exit 0 when every claim holds.
#include <heed/heed.h>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace heed;

// The largest |table(pos, c) − formula(pos, c)| over the table.
double largest_gap(const Tensor& table, const std::function<double(int64_t, int64_t)>& formula) {
  double gap = 0;
  for (int64_t pos = 0; pos < table.size(0); ++pos)
    for (int64_t c = 0; c < table.size(1); ++c) gap = std::max(gap, std::fabs(table.at({pos, c}) - formula(pos, c)));
  return gap;
}

// The largest error of "row pos + k = R(k·ω_i) row pos" over every pair of columns (2i, 2i + 1):
//   [PE(pos + k, 2i), PE(pos + k, 2i + 1)] = [[cos kω, sin kω], [−sin kω, cos kω]] · [PE(pos, 2i), PE(pos, 2i + 1)]
// for PE(pos, 2i) = sin(pos·ω), PE(pos, 2i + 1) = cos(pos·ω). R depends on k, not on pos.
double rotation_error(const Tensor& table, int64_t k) {
  const int64_t d = table.size(1);
  double error = 0;
  for (int64_t i = 0; 2 * i + 1 < d; ++i) {
    const double omega = std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(d));
    const double c = std::cos(static_cast<double>(k) * omega), s = std::sin(static_cast<double>(k) * omega);
    for (int64_t pos = 0; pos + k < table.size(0); ++pos) {
      const double sin_pos = table.at({pos, 2 * i}), cos_pos = table.at({pos, 2 * i + 1});
      error = std::max(error, std::fabs(table.at({pos + k, 2 * i}) - (c * sin_pos + s * cos_pos)));
      error = std::max(error, std::fabs(table.at({pos + k, 2 * i + 1}) - (-s * sin_pos + c * cos_pos)));
    }
  }
  return error;
}

int main() {
  const int64_t d = 16, positions = 50;
  const Tensor pe = nn::SinusoidalPositionalEncoding(d, positions).pe;  // (max_len, d_model)
  auto frequency = [d](int64_t i) { return std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(d)); };

  // The paper: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)).
  const double paper = largest_gap(pe, [&](int64_t pos, int64_t c) {
    const double angle = static_cast<double>(pos) * frequency(c / 2);
    return c % 2 == 0 ? std::sin(angle) : std::cos(angle);
  });
  // Wrong 1: the column index in the exponent, 10000^(c/d), so the cos column gets its own frequency.
  const double own_frequency = largest_gap(pe, [&](int64_t pos, int64_t c) {
    const double angle = static_cast<double>(pos) * std::pow(10000.0, -static_cast<double>(c) / static_cast<double>(d));
    return c % 2 == 0 ? std::sin(angle) : std::cos(angle);
  });
  // Wrong 2: all the sines first, then all the cosines (a different table for the same formula).
  const double halves = largest_gap(pe, [&](int64_t pos, int64_t c) {
    const double angle = static_cast<double>(pos) * frequency(c % (d / 2));
    return c < d / 2 ? std::sin(angle) : std::cos(angle);
  });
  fmt::print("largest gap to the paper's formula {:.2e}; to 10000^(c/d) {:.3f}; to sin-then-cos halves {:.3f}\n",
             paper, own_frequency, halves);

  // Relative positions: shifting by k rotates each (sin, cos) pair by k·ω_i, whatever pos is.
  double rotation = 0;
  for (int64_t k = 1; k <= 10; ++k) rotation = std::max(rotation, rotation_error(pe, k));
  // In the table with 10000^(c/d), the cos column does not share its pair's frequency: no rotation.
  Tensor wrong = Tensor::empty({positions, d});
  for (int64_t pos = 0; pos < positions; ++pos)
    for (int64_t c = 0; c < d; ++c) {
      const double angle = static_cast<double>(pos) * std::pow(10000.0, -static_cast<double>(c) / static_cast<double>(d));
      wrong.mutable_data<float>()[pos * d + c] = static_cast<float>(c % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  const double wrong_rotation = rotation_error(wrong, 1);
  fmt::print("shift = rotation: largest error {:.2e} in heed's table, {:.3f} in the 10000^(c/d) table\n", rotation,
             wrong_rotation);
  return paper < 1e-6 && own_frequency > 0.1 && halves > 0.5 && rotation < 1e-5 && wrong_rotation > 0.05 ? 0 : 1;
}
