// Elementwise ops. Each forward is one map/zip loop; its backward, right below, is the chain rule
// for that function, again one fused loop where possible. For a broadcast input the gradient is
// summed back to the input's shape (sum_to): an input read many times gets all those gradients.
#include "heed/ops/elementwise.h"

#include <cmath>
#include <numbers>

#include "heed/core/autograd.h"
#include "heed/ops/map.h"
#include "heed/ops/reduce.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {

// ---- binary, with broadcasting ----

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = zip(a, b, [](float x, float y) { return x + y; }, "add");
  // da = g, db = g (each summed to its input's shape)
  record("add", out, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, NeedsGrad needs) {
    return std::vector<Tensor>{needs[0] ? sum_to(g, sa) : Tensor(), needs[1] ? sum_to(g, sb) : Tensor()};
  });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = zip(a, b, [](float x, float y) { return x - y; }, "sub");
  // da = g, db = -g
  record("sub", out, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, NeedsGrad needs) {
    return std::vector<Tensor>{needs[0] ? sum_to(g, sa) : Tensor(), needs[1] ? sum_to(neg(g), sb) : Tensor()};
  });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = zip(a, b, [](float x, float y) { return x * y; }, "mul");
  // da = g * b, db = g * a
  record("mul", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& g, NeedsGrad needs) {
    const Tensor &a_data = sa.get(), &b_data = sb.get();
    return std::vector<Tensor>{needs[0] ? sum_to(mul(g, b_data), a_data.shape()) : Tensor(),
                               needs[1] ? sum_to(mul(g, a_data), b_data.shape()) : Tensor()};
  });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = zip(a, b, [](float x, float y) { return x / y; }, "div");
  // da = g / b, db = -g * a / b²  (= -g * out / b)
  record("div", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& g, NeedsGrad needs) {
    const Tensor &a_data = sa.get(), &b_data = sb.get();
    Tensor grad_a = needs[0] ? sum_to(div(g, b_data), a_data.shape()) : Tensor();
    Tensor grad_b;
    if (needs[1]) grad_b = sum_to(neg(div(mul(g, a_data), mul(b_data, b_data))), b_data.shape());
    return std::vector<Tensor>{grad_a, grad_b};
  });
  return out;
}

// ---- scalar forms ----

Tensor add(const Tensor& a, float s) {
  Tensor out = map(a, [s](float x) { return x + s; }, "add");
  // da = g
  record("add_scalar", out, {a}, [](const Tensor& g, NeedsGrad) { return std::vector<Tensor>{g}; });
  return out;
}

Tensor sub(const Tensor& a, float s) { return add(a, -s); }

Tensor sub(float s, const Tensor& a) {
  Tensor out = map(a, [s](float x) { return s - x; }, "sub");
  // da = -g
  record("rsub_scalar", out, {a}, [](const Tensor& g, NeedsGrad) { return std::vector<Tensor>{neg(g)}; });
  return out;
}

Tensor mul(const Tensor& a, float s) {
  Tensor out = map(a, [s](float x) { return x * s; }, "mul");
  // da = g * s
  record("mul_scalar", out, {a}, [s](const Tensor& g, NeedsGrad) { return std::vector<Tensor>{mul(g, s)}; });
  return out;
}

Tensor div(const Tensor& a, float s) { return mul(a, 1.0f / s); }

Tensor div(float s, const Tensor& a) {
  Tensor out = map(a, [s](float x) { return s / x; }, "div");
  // da = -g * s / a²
  record("rdiv_scalar", out, {a}, [s, sa = SavedTensor(a)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, sa.get(), [s](float gi, float x) { return -gi * s / (x * x); }, "div")};
  });
  return out;
}

// ---- unary ----

Tensor neg(const Tensor& x) {
  Tensor out = map(x, [](float v) { return -v; }, "neg");
  // dx = -g
  record("neg", out, {x}, [](const Tensor& g, NeedsGrad) { return std::vector<Tensor>{neg(g)}; });
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = map(x, [](float v) { return exp_approx(v); }, "exp");
  // dx = g * exp(x) = g * out
  record("exp", out, {x}, [y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{mul(g, y.get())};
  });
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = map(x, [](float v) { return std::log(v); }, "log");
  // dx = g / x
  record("log", out, {x}, [sx = SavedTensor(x)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{div(g, sx.get())};
  });
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = map(x, [](float v) { return std::sqrt(v); }, "sqrt");
  // dx = g / (2 sqrt(x)) = g / (2 out)
  record("sqrt", out, {x}, [y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, y.get(), [](float gi, float yi) { return gi / (2 * yi); }, "sqrt")};
  });
  return out;
}

Tensor pow(const Tensor& x, float exponent) {
  Tensor out = map(x, [exponent](float v) { return std::pow(v, exponent); }, "pow");
  // dx = g * p * x^(p-1)
  record("pow", out, {x}, [exponent, sx = SavedTensor(x)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, sx.get(), [exponent](float gi, float v) {
      return gi * exponent * std::pow(v, exponent - 1);
    }, "pow")};
  });
  return out;
}

Tensor abs(const Tensor& x) {
  Tensor out = map(x, [](float v) { return std::fabs(v); }, "abs");
  // dx = g * sign(x)   (0 at x = 0, as PyTorch)
  record("abs", out, {x}, [sx = SavedTensor(x)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, sx.get(), [](float gi, float v) {
      return v > 0 ? gi : (v < 0 ? -gi : 0.0f);
    }, "abs")};
  });
  return out;
}

Tensor tanh(const Tensor& x) {
  Tensor out = map(x, [](float v) { return tanh_approx(v); }, "tanh");
  // dx = g * (1 - tanh²(x)) = g * (1 - out²)
  record("tanh", out, {x}, [y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, y.get(), [](float gi, float yi) { return gi * (1 - yi * yi); }, "tanh")};
  });
  return out;
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = map(x, [](float v) { return sigmoid_approx(v); }, "sigmoid");
  // dx = g * σ(x) (1 - σ(x)) = g * out * (1 - out)
  record("sigmoid", out, {x}, [y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, y.get(), [](float gi, float yi) { return gi * yi * (1 - yi); }, "sigmoid")};
  });
  return out;
}

Tensor relu(const Tensor& x) {
  Tensor out = map(x, [](float v) { return v > 0 ? v : 0.0f; }, "relu");
  // dx = g where out > 0, else 0
  record("relu", out, {x}, [y = SavedTensor(out)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, y.get(), [](float gi, float yi) { return yi > 0 ? gi : 0.0f; }, "relu")};
  });
  return out;
}

Tensor gelu(const Tensor& x) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  constexpr float kInvSqrt2Pi = 0.39894228040143268f;
  // gelu(x) = x Φ(x), Φ(x) = (1 + erf(x/√2)) / 2
  Tensor out = map(x, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); }, "gelu");
  // dx = g * (Φ(x) + x φ(x)),  φ(x) = exp(-x²/2) / √(2π)
  record("gelu", out, {x}, [sx = SavedTensor(x)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{zip(g, sx.get(), [](float gi, float v) {
      float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
      float pdf = kInvSqrt2Pi * std::exp(-0.5f * v * v);
      return gi * (cdf + v * pdf);
    }, "gelu")};
  });
  return out;
}

}  // namespace heed::ops
