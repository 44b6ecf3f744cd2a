// A two-layer network learns to tell apart three interleaved spirals, from raw tensors and
// autograd alone (no nn modules, no optimiser class: both written out). It prints the loss as it
// trains, then draws the regions the network assigns to each class, with the training points.
//
//   ./build/bin/spirals
#include <cmath>
#include <numbers>

#include <heed/heed.h>

using namespace heed;

constexpr int64_t kClasses = 3, kPointsPerClass = 200, kHidden = 64;

// Points on three spiral arms, each arm one class, with a little noise. x (N, 2), y (N) int64.
std::pair<Tensor, Tensor> make_spirals() {
  int64_t n = kClasses * kPointsPerClass;
  std::vector<float> points;
  std::vector<int64_t> labels;
  std::vector<float> noise = randn({n, 2}).to_vector<float>();
  for (int64_t k = 0; k < kClasses; ++k) {
    for (int64_t i = 0; i < kPointsPerClass; ++i) {
      float radius = static_cast<float>(i) / kPointsPerClass;
      float angle = 4.0f * radius + 2.0f * std::numbers::pi_v<float> * k / kClasses;
      size_t at = static_cast<size_t>(2 * (k * kPointsPerClass + i));
      points.push_back(radius * std::sin(angle) + 0.03f * noise[at]);
      points.push_back(radius * std::cos(angle) + 0.03f * noise[at + 1]);
      labels.push_back(k);
    }
  }
  return {from_vector(points, {n, 2}), from_vector(labels)};
}

// A leaf parameter, initialised like PyTorch's Linear: uniform in ±1/sqrt(fan_in).
Tensor parameter(const Shape& shape, int64_t fan_in) {
  float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  return ((rand(shape) * 2.0f - 1.0f) * bound).set_requires_grad();
}

struct Network {
  Tensor w1 = parameter({kHidden, 2}, 2), b1 = parameter({kHidden}, 2);
  Tensor w2 = parameter({kHidden, kHidden}, kHidden), b2 = parameter({kHidden}, kHidden);
  Tensor w3 = parameter({kClasses, kHidden}, kHidden), b3 = parameter({kClasses}, kHidden);

  Tensor forward(const Tensor& x) const {             // x (N, 2)
    Tensor h = ops::relu(ops::linear(x, w1, b1));     // (N, 64)
    h = ops::relu(ops::linear(h, w2, b2));            // (N, 64)
    return ops::linear(h, w3, b3);                    // (N, 3) logits
  }
  std::vector<Tensor> parameters() const { return {w1, b1, w2, b2, w3, b3}; }
};

// SGD with momentum, written out: v = μ v + g; p -= lr v.
void sgd_step(const std::vector<Tensor>& parameters, std::vector<Tensor>& velocity, float lr) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < parameters.size(); ++i) {
    Tensor p = parameters[i];
    ops::mul_(velocity[i], 0.9f);
    ops::add_(velocity[i], p.grad());
    ops::add_(p, velocity[i], -lr);
    p.set_grad(Tensor());
  }
}

float accuracy(const Tensor& logits, const Tensor& labels) {
  std::vector<int64_t> predicted = ops::argmax(logits, -1).to_vector<int64_t>();
  std::vector<int64_t> truth = labels.to_vector<int64_t>();
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i];
  return static_cast<float>(correct) / static_cast<float>(truth.size());
}

// The plane from -1 to 1, one character per cell: the predicted class as . - or ', and each
// training point as the digit of its class.
void draw(const Network& network, const Tensor& x, const Tensor& labels) {
  constexpr int64_t kWidth = 64, kHeight = 28;
  std::vector<float> grid;
  for (int64_t row = 0; row < kHeight; ++row)
    for (int64_t col = 0; col < kWidth; ++col) {
      grid.push_back(-1.0f + 2.0f * (static_cast<float>(col) + 0.5f) / kWidth);
      grid.push_back(1.0f - 2.0f * (static_cast<float>(row) + 0.5f) / kHeight);
    }
  NoGradGuard no_grad;
  std::vector<int64_t> regions = ops::argmax(network.forward(from_vector(grid, {kWidth * kHeight, 2})), -1).to_vector<int64_t>();
  std::vector<std::string> canvas(kHeight);
  for (int64_t row = 0; row < kHeight; ++row)
    for (int64_t col = 0; col < kWidth; ++col) canvas[row] += ".-'"[regions[row * kWidth + col]];
  std::vector<float> points = x.to_vector<float>();
  std::vector<int64_t> classes = labels.to_vector<int64_t>();
  for (size_t i = 0; i < classes.size(); i += 4) {  // every 4th point keeps the picture readable
    auto col = static_cast<int64_t>((points[2 * i] + 1.0f) / 2.0f * kWidth);
    auto row = static_cast<int64_t>((1.0f - points[2 * i + 1]) / 2.0f * kHeight);
    if (col >= 0 && col < kWidth && row >= 0 && row < kHeight) canvas[row][col] = static_cast<char>('0' + classes[i]);
  }
  for (const std::string& line : canvas) fmt::print("  {}\n", line);
}

int main() {
  manual_seed(0);
  auto [x, labels] = make_spirals();
  Network network;
  std::vector<Tensor> velocity;
  for (const Tensor& p : network.parameters()) velocity.push_back(zeros(p.shape()));

  fmt::print("heed demo: a 2-64-64-3 network learns three spirals ({} points), OpenBLAS kernels: {}\n\n",
             x.size(0), blas::core_name());
  for (int step = 0; step <= 2000; ++step) {
    Tensor logits = network.forward(x);
    Tensor loss = ops::cross_entropy(logits, labels);
    if (step % 250 == 0)
      fmt::print("step {:4d}  loss {:.4f}  accuracy {:5.1f}%\n", step, loss.item(), 100 * accuracy(logits, labels));
    loss.backward();
    sgd_step(network.parameters(), velocity, 0.1f);
  }
  fmt::print("\nWhat the network learned: regions . - ' for classes 0 1 2, training points as digits.\n\n");
  draw(network, x, labels);
}
