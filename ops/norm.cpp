// Layer normalisation, fused. x is viewed as (rows, D), D the size of the normalised dims.
//
// Forward, per row (as llm.c's layernorm_forward):
//   mean = Σ x / D,   var = Σ (x − mean)² / D,   rstd = 1 / sqrt(var + eps)
//   x̂ = (x − mean) · rstd,   y = x̂ · w + b
// It saves mean and rstd, two floats per row: with x and w, all that backward needs.
//
// Backward. Write dx̂ = dy · w. x̂ depends on x directly, through mean, and through rstd
// (d rstd / d x_j = −rstd³ · (x_j − mean) / D); the three paths add up to
//   dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))
// and the parameters collect over all rows:
//   dw = Σ_rows dy · x̂,   db = Σ_rows dy.
// dx runs row by row in parallel. dw and db run in parallel over blocks of columns, each thread
// summing its columns over every row: no per-thread buffers, and the same result for any thread
// count.
#include "heed/ops/norm.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"

namespace heed::ops {
namespace {

// What the forward computed per row, kept for backward.
struct RowStats {
  SavedTensor mean, rstd;  // (rows)
};

// y = x̂ · w + b for every row of dense x (rows, size); fills each row's mean and rstd.
void normalize_rows(const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor& y,
                    Tensor& row_mean, Tensor& row_rstd) {
  const int64_t rows = row_mean.numel(), size = w.numel();
  const float *in = x.data<float>(), *weight = w.data<float>(), *bias = b.data<float>();
  float *out = y.mutable_data<float>(), *mean = row_mean.mutable_data<float>(),
        *rstd = row_rstd.mutable_data<float>();
  const auto inverse_size = 1.0f / static_cast<float>(size);
  parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / size), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const float* xr = in + row * size;
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < size; ++j) sum += xr[j];
      const float mu = sum * inverse_size;
      float squares = 0.0f;  // a second sweep over (x − mean)²: no cancellation, unlike E[x²] − mean²
#pragma omp simd reduction(+ : squares)
      for (int64_t j = 0; j < size; ++j) squares += (xr[j] - mu) * (xr[j] - mu);
      const float r = 1.0f / std::sqrt(squares * inverse_size + eps);
      float* yr = out + row * size;
#pragma omp simd
      for (int64_t j = 0; j < size; ++j) yr[j] = (xr[j] - mu) * r * weight[j] + bias[j];
      mean[row] = mu;
      rstd[row] = r;
    }
  });
}

// dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),  dx̂ = dy · w
Tensor input_gradient(const Tensor& x, const Tensor& dy, const Tensor& w, const RowStats& stats,
                      int64_t rows, int64_t size) {
  Tensor dx = Tensor::empty(x.shape());
  const float *in = x.data<float>(), *g = dy.data<float>(), *weight = w.data<float>();
  const float *mean = stats.mean.get().data<float>(), *rstd = stats.rstd.get().data<float>();
  float* out = dx.mutable_data<float>();
  const auto inverse_size = 1.0f / static_cast<float>(size);
  parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / size), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const float *xr = in + row * size, *gr = g + row * size;
      const float mu = mean[row], r = rstd[row];
      float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
#pragma omp simd reduction(+ : sum_dxhat, sum_dxhat_xhat)
      for (int64_t j = 0; j < size; ++j) {
        const float dxhat = gr[j] * weight[j];
        sum_dxhat += dxhat;
        sum_dxhat_xhat += dxhat * (xr[j] - mu) * r;
      }
      const float mean_dxhat = sum_dxhat * inverse_size, mean_dxhat_xhat = sum_dxhat_xhat * inverse_size;
      float* dr = out + row * size;
#pragma omp simd
      for (int64_t j = 0; j < size; ++j) {
        const float xhat = (xr[j] - mu) * r;
        dr[j] = r * (gr[j] * weight[j] - mean_dxhat - xhat * mean_dxhat_xhat);
      }
    }
  });
  return dx;
}

// dw = Σ_rows dy · x̂,  db = Σ_rows dy   (both of shape normalized_shape)
std::pair<Tensor, Tensor> parameter_gradients(const Tensor& x, const Tensor& dy,
                                              const RowStats& stats, const Shape& normalized_shape,
                                              int64_t rows) {
  Tensor dw = Tensor::empty(normalized_shape), db = Tensor::empty(normalized_shape);
  const int64_t size = numel(normalized_shape);
  const float *in = x.data<float>(), *g = dy.data<float>();
  const float *mean = stats.mean.get().data<float>(), *rstd = stats.rstd.get().data<float>();
  float *weight_grad = dw.mutable_data<float>(), *bias_grad = db.mutable_data<float>();
  const int64_t columns_per_thread =
      std::max<int64_t>(16, kElementwiseGrain / std::max<int64_t>(rows, 1));
  parallel_for(0, size, columns_per_thread, [&](int64_t lo, int64_t hi) {
    std::fill(weight_grad + lo, weight_grad + hi, 0.0f);
    std::fill(bias_grad + lo, bias_grad + hi, 0.0f);
    for (int64_t row = 0; row < rows; ++row) {
      const float *xr = in + row * size, *gr = g + row * size;
      const float mu = mean[row], r = rstd[row];
#pragma omp simd
      for (int64_t j = lo; j < hi; ++j) {
        weight_grad[j] += gr[j] * (xr[j] - mu) * r;
        bias_grad[j] += gr[j];
      }
    }
  });
  return {dw, db};
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, float eps) {
  check_dtype(x, Dtype::Float32, "layer_norm", "x");
  const auto trailing = static_cast<int64_t>(normalized_shape.size());
  HEED_CHECK(trailing >= 1 && trailing <= x.dim() && numel(normalized_shape) > 0 &&
                 std::equal(normalized_shape.begin(), normalized_shape.end(), x.shape().end() - trailing),
             "layer_norm", "x is {} and normalized_shape {}; expected normalized_shape to be the last, "
             "non-empty dims of x", x.shape(), normalized_shape);
  for (auto [name, parameter] : {std::pair{"weight", weight}, std::pair{"bias", bias}}) {
    if (!parameter.defined()) continue;
    check_dtype(parameter, Dtype::Float32, "layer_norm", name);
    HEED_CHECK(parameter.shape() == normalized_shape, "layer_norm",
               "{} is {}; expected normalized_shape {}", name, parameter.shape(), normalized_shape);
  }
  const int64_t rows = x.numel() / numel(normalized_shape);
  const Tensor input = dense(x);
  const Tensor w = weight.defined() ? dense(weight) : ones(normalized_shape);
  const Tensor b = bias.defined() ? dense(bias) : zeros(normalized_shape);
  Tensor out = Tensor::empty(x.shape()), row_mean = Tensor::empty({rows}), row_rstd = Tensor::empty({rows});
  normalize_rows(input, w, b, eps, out, row_mean, row_rstd);
  record("layer_norm", out, {x, weight, bias},
         [saved_x = SavedTensor(input), saved_w = SavedTensor(w),
          stats = RowStats{SavedTensor(row_mean), SavedTensor(row_rstd)}, normalized_shape,
          rows](const Tensor& g, NeedsGrad needs) {
           // dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),  dw = Σ dy · x̂,  db = Σ dy
           const Tensor dy = dense(g);
           const Tensor& x_data = saved_x.get();
           Tensor dx, dw, db;
           if (needs[0]) dx = input_gradient(x_data, dy, saved_w.get(), stats, rows, numel(normalized_shape));
           if (needs[1] || needs[2])
             std::tie(dw, db) = parameter_gradients(x_data, dy, stats, normalized_shape, rows);
           return std::vector<Tensor>{dx, needs[1] ? dw : Tensor(), needs[2] ? db : Tensor()};
         });
  return out;
}

}  // namespace heed::ops
