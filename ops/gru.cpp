// GRU, fused. For one row of a step, with gx = W_ih x + b_ih and gh = W_hh h + b_hh (3H: r z n):
//
//   r = σ(gx_r + gh_r)   z = σ(gx_z + gh_z)   n = tanh(gx_n + r ⊙ gh_n)
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// Backward, given dh' reaching h' (docs/recurrent.md derives it):
//
//   dn = dh' ⊙ (1 − z) ⊙ (1 − n²)           the gradient of n's pre-activation
//   dz = dh' ⊙ (h − n) ⊙ z(1 − z)            dr = dn ⊙ gh_n ⊙ r(1 − r)
//   d gx = [dr, dz, dn]      d gh = [dr, dz, dn ⊙ r]      dh_prev = dh' ⊙ z   (+ d gh · W_hh)
//
// So the forward saves the activations r z n and gh_n (the hidden side of n, bias included); with
// h that is all backward reads. Both directions are one loop over the row (forward_row,
// backward_row), used by the single step (gru_cell) and by the whole recurrence (gru_recurrence),
// which runs as lstm_recurrence does (see ops/lstm.cpp), with two differences: gh = h W_hhᵀ + b_hh
// is formed before the kernel (b_hh's n part sits inside r ⊙ gh_n, so it cannot join b_ih), and
// backward keeps d gh apart from d gx for W_hh's and b_hh's gradients.
#include "heed/ops/gru.h"

#include <algorithm>
#include <array>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/recurrence.h"
#include "heed/ops/reduce.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {

using recurrence::Slots;

// One row forward: gx, gh (3H) and h_prev (H) -> activations act (3H; may alias gh), gh_n (H) and h.
void forward_row(int64_t hidden, const float* gx, const float* gh, const float* h_prev, float* act, float* gh_n,
                 float* h) {
  const int64_t H = hidden;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float r = sigmoid_approx(gx[j] + gh[j]);
    const float z = sigmoid_approx(gx[H + j] + gh[H + j]);
    const float hidden_n = gh[2 * H + j];
    const float n = tanh_approx(gx[2 * H + j] + r * hidden_n);
    act[j] = r;
    act[H + j] = z;
    act[2 * H + j] = n;
    gh_n[j] = hidden_n;
    h[j] = (1.0f - z) * n + z * h_prev[j];
  }
}

// One row backward: dh reaches h'; writes d gx, d gh (3H each) and dh_prev = dh ⊙ z (H; may alias
// dh), the part of h_prev's gradient that skips W_hh.
void backward_row(int64_t hidden, const float* act, const float* gh_n, const float* h_prev, const float* dh,
                  float* dgx, float* dgh, float* dh_prev) {
  const int64_t H = hidden;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float r = act[j], z = act[H + j], n = act[2 * H + j], grad = dh[j];
    const float dn = grad * (1.0f - z) * (1.0f - n * n);
    const float dz = grad * (h_prev[j] - n) * z * (1.0f - z);
    const float dr = dn * gh_n[j] * r * (1.0f - r);
    dgx[j] = dgh[j] = dr;
    dgx[H + j] = dgh[H + j] = dz;
    dgx[2 * H + j] = dn;
    dgh[2 * H + j] = dn * r;
    dh_prev[j] = grad * z;
  }
}

}  // namespace

Tensor gru_cell(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h) {
  recurrence::check_float32({{"gates_x", &gates_x}, {"gates_h", &gates_h}, {"h", &h}}, "gru_cell");
  HEED_CHECK(gates_x.dim() == 2 && gates_x.size(1) % 3 == 0 && gates_h.shape() == gates_x.shape() &&
                 h.shape() == Shape({gates_x.size(0), gates_x.size(1) / 3}),
             "gru_cell", "gates_x is {}, gates_h {} and h {}; expected gates_x and gates_h (B, 3H) and h (B, H)",
             gates_x.shape(), gates_h.shape(), h.shape());
  const int64_t B = gates_x.size(0), H = gates_x.size(1) / 3;
  const Tensor gx = dense(gates_x), gh = dense(gates_h), h_prev = dense(h);
  Tensor out = Tensor::empty({B, H}), act = Tensor::empty({B, 3 * H}), gh_n = Tensor::empty({B, H});
  {
    const float *x = gx.data<float>(), *hg = gh.data<float>(), *hp = h_prev.data<float>();
    float *y = out.mutable_data<float>(), *a = act.mutable_data<float>(), *n = gh_n.mutable_data<float>();
    parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        forward_row(H, x + b * 3 * H, hg + b * 3 * H, hp + b * H, a + b * 3 * H, n + b * H, y + b * H);
    });
  }
  record("gru_cell", out, {gates_x, gates_h, h},
         [saved_act = SavedTensor(act), saved_gh_n = SavedTensor(gh_n), saved_h = SavedTensor(h_prev), B,
          H](const Tensor& grad, NeedsGrad needs) {
           // d gx = [dr, dz, dn], d gh = [dr, dz, dn ⊙ r], dh = dh' ⊙ z
           const Tensor g = dense(grad);
           Tensor dgx = Tensor::empty({B, 3 * H}), dgh = Tensor::empty({B, 3 * H}), dh = Tensor::empty({B, H});
           const float *a = saved_act.get().data<float>(), *n = saved_gh_n.get().data<float>(),
                       *hp = saved_h.get().data<float>(), *dy = g.data<float>();
           float *dx = dgx.mutable_data<float>(), *dhg = dgh.mutable_data<float>(), *dhp = dh.mutable_data<float>();
           parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
             for (int64_t b = lo; b < hi; ++b)
               backward_row(H, a + b * 3 * H, n + b * H, hp + b * H, dy + b * H, dx + b * 3 * H, dhg + b * 3 * H,
                            dhp + b * H);
           });
           return std::vector<Tensor>{needs[0] ? dgx : Tensor(), needs[1] ? dgh : Tensor(), needs[2] ? dh : Tensor()};
         });
  return out;
}

Tensor gru_recurrence(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& bias_hh, const Tensor& h0,
                      const Tensor& lengths, bool reverse) {
  recurrence::check_float32(
      {{"gates_x", &gates_x}, {"weight_hh", &weight_hh}, {"bias_hh", &bias_hh}, {"h0", &h0}}, "gru_recurrence");
  HEED_CHECK(gates_x.dim() == 3 && weight_hh.dim() == 2 && gates_x.size(2) == weight_hh.size(0) &&
                 weight_hh.size(0) == 3 * weight_hh.size(1) && gates_x.size(0) >= 1 && gates_x.size(1) >= 1,
             "gru_recurrence", "gates_x is {} and weight_hh {}; expected gates_x (T, B, 3H) with T, B >= 1 and "
             "weight_hh (3H, H)", gates_x.shape(), weight_hh.shape());
  const int64_t T = gates_x.size(0), B = gates_x.size(1), H = weight_hh.size(1), G = 3 * H;
  HEED_CHECK(!bias_hh.defined() || bias_hh.shape() == Shape{G}, "gru_recurrence",
             "bias_hh is {}; expected (3H) = [{}] for weight_hh {}", bias_hh.shape(), G, weight_hh.shape());
  HEED_CHECK(!h0.defined() || h0.shape() == Shape({B, H}), "gru_recurrence",
             "h0 is {}; expected (B, H) = [{}, {}] for gates_x {}", h0.shape(), B, H, gates_x.shape());
  const std::vector<int64_t> length = sequence_lengths(lengths, B, T, "gru_recurrence");

  const std::array<Tensor, 4> inputs{gates_x, weight_hh, bias_hh, h0};
  const bool recording = should_record(inputs);
  const Tensor gx = dense(gates_x), w = dense(weight_hh), bias = bias_hh.defined() ? dense(bias_hh) : Tensor();
  // Backward reads every step's activations, gh_n and incoming state; without it, reuse a few slots.
  const Slots act(recording ? T : 1, B, G), gh_n(recording ? T : 1, B, H), h_in(recording ? T : 2, B, H);
  Tensor out = Tensor::empty({T, B, H});
  recurrence::write_initial(h0, h_in.at(recurrence::time_at(0, T, reverse)), B * H);
  const float *x = gx.data<float>(), *b_hh = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.mutable_data<float>();
  for (int64_t step = 0; step < T; ++step) {
    const int64_t t = recurrence::time_at(step, T, reverse);
    const bool last = step + 1 == T;
    const int64_t next = last ? t : recurrence::time_at(step + 1, T, reverse);
    float* gates = act.at(t);
    recurrence::recurrent_product(h_in.at(t), w, b_hh, B, gates);  // (B, 3H) = h_in[t] · W_hhᵀ + b_hh
    parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) {
        const float* h_prev = h_in.at(t) + b * H;
        float* row = y + (t * B + b) * H;
        if (t < length[b]) {
          forward_row(H, x + (t * B + b) * G, gates + b * G, h_prev, gates + b * G, gh_n.at(t) + b * H, row);
          h_prev = row;
        } else {
          std::fill(row, row + H, 0.0f);
        }
        if (!last) std::copy(h_prev, h_prev + H, h_in.at(next) + b * H);
      }
    });
  }

  record("gru_recurrence", out, {gates_x, weight_hh, bias_hh, h0},
         [saved_act = SavedTensor(act.tensor()), saved_gh_n = SavedTensor(gh_n.tensor()),
          saved_h_in = SavedTensor(h_in.tensor()), saved_w = SavedTensor(w), length, reverse, T, B, H,
          G](const Tensor& grad, NeedsGrad needs) {
           // Per step, last visited first: dh += grad[t]; d gx[t], d gh[t] as above; dh ← dh ⊙ z + d gh[t] · W_hh.
           // Then dW_hh = Σ_t d gh[t]ᵀ h_in[t], db_hh = Σ_t,b d gh[t]; dh0 = dh.
           const Tensor g = dense(grad), &w_hh = saved_w.get();
           Tensor dgx = Tensor::empty({T, B, G}), dh = zeros({B, H});
           const Slots dgh(needs[1] || needs[2] ? T : 1, B, G);  // every step's only for W_hh's and b_hh's gradients
           const float *dy = g.data<float>(), *a = saved_act.get().data<float>(), *n = saved_gh_n.get().data<float>(),
                       *hp = saved_h_in.get().data<float>();
           float *dx = dgx.mutable_data<float>(), *dh_run = dh.mutable_data<float>();
           for (int64_t step = T - 1; step >= 0; --step) {
             const int64_t t = recurrence::time_at(step, T, reverse);
             float* dgh_t = dgh.at(t);
             parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
               for (int64_t b = lo; b < hi; ++b) {
                 const int64_t row = t * B + b;
                 float *dgx_row = dx + row * G, *dgh_row = dgh_t + b * G;
                 if (t >= length[b]) {  // padding: no gradient into the gates, dh passes through
                   std::fill(dgx_row, dgx_row + G, 0.0f);
                   std::fill(dgh_row, dgh_row + G, 0.0f);
                   continue;
                 }
                 float* dh_b = dh_run + b * H;
                 const float* dy_row = dy + row * H;
                 for (int64_t j = 0; j < H; ++j) dh_b[j] += dy_row[j];
                 backward_row(H, a + row * G, n + row * H, hp + row * H, dh_b, dgx_row, dgh_row, dh_b);
               }
             });
             if (step > 0 || needs[3]) recurrence::recurrent_product_backward(dgh_t, w_hh, B, dh_run);
           }
           Tensor dw = needs[1] ? recurrence::weight_hh_gradient(dgh.tensor(), saved_h_in.get()) : Tensor();
           Tensor db = needs[2] ? sum_to(dgh.tensor(), {G}) : Tensor();
           return std::vector<Tensor>{needs[0] ? dgx : Tensor(), dw, db, needs[3] ? dh : Tensor()};
         });
  return out;
}

}  // namespace heed::ops
