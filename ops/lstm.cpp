// LSTM, fused. For one row of a step, with pre-activations a = gates_x + gates_h (4H: i f g o):
//
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//   c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')
//
// Backward, given dh' and dc' reaching the step's outputs (docs/recurrent.md derives it):
//
//   dc    = dc' + dh' ⊙ o ⊙ (1 − tanh²c')     everything that reaches c'
//   da_i  = dc ⊙ g ⊙ i(1 − i)                 da_f = dc ⊙ c ⊙ f(1 − f)
//   da_g  = dc ⊙ i ⊙ (1 − g²)                 da_o = dh' ⊙ tanh(c') ⊙ o(1 − o)
//   dc_prev = dc ⊙ f,   d gates_x = d gates_h = da
//
// So the forward saves the activations i f g o, tanh(c') and the incoming c, and nothing else.
// Both directions are one loop over the row (forward_row, backward_row below), used by the single
// step (lstm_cell) and by the whole recurrence (lstm_recurrence).
//
// lstm_recurrence runs a layer direction step by step, reusing its buffers (ops/recurrence.h):
//   forward, step t:  act[t] = h_in[t] · W_hhᵀ               one GEMM, written into act[t]
//                     act[t] ← activations(gates_x[t] + act[t]), c, h    one kernel, in place
//                     h_in[next], c_in[next] = the new state (carried unchanged on padding)
//   backward, from the last step visited back to the first, with running gradients dh, dc (B, H):
//                     dh, dc += the gradient reaching [h_t | c_t] from outside
//                     da[t] = the formulas above; dc ← dc ⊙ f;  dh ← 0      one kernel
//                     dh += da[t] · W_hh                       one GEMM (beta = 1)
//   then              dW_hh = Σ_t da[t]ᵀ · h_in[t]              one GEMM over all T·B rows
// A padded row is skipped by the kernel: its da is 0 and its dh, dc pass through unchanged.
#include "heed/ops/lstm.h"

#include <algorithm>
#include <array>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/recurrence.h"
#include "heed/ops/vector_math.h"

namespace heed::ops {
namespace {

using recurrence::Slots;

// One row forward: gx, gh (4H) and c_prev (H) -> activations act (4H; may alias gh), h, c and
// tanh(c) (H each).
void forward_row(int64_t hidden, const float* gx, const float* gh, const float* c_prev, float* act, float* h,
                 float* c, float* tanh_c) {
  const int64_t H = hidden;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float i = sigmoid_approx(gx[j] + gh[j]);
    const float f = sigmoid_approx(gx[H + j] + gh[H + j]);
    const float g = tanh_approx(gx[2 * H + j] + gh[2 * H + j]);
    const float o = sigmoid_approx(gx[3 * H + j] + gh[3 * H + j]);
    const float cell = f * c_prev[j] + i * g;
    const float squashed = tanh_approx(cell);
    act[j] = i;
    act[H + j] = f;
    act[2 * H + j] = g;
    act[3 * H + j] = o;
    c[j] = cell;
    tanh_c[j] = squashed;
    h[j] = o * squashed;
  }
}

// One row backward: dh and dc reach h' and c'; writes da (4H) and dc_prev (H; may alias dc).
void backward_row(int64_t hidden, const float* act, const float* tanh_c, const float* c_prev, const float* dh,
                  const float* dc, float* da, float* dc_prev) {
  const int64_t H = hidden;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const float i = act[j], f = act[H + j], g = act[2 * H + j], o = act[3 * H + j], squashed = tanh_c[j];
    const float dcell = dc[j] + dh[j] * o * (1.0f - squashed * squashed);
    da[j] = dcell * g * i * (1.0f - i);
    da[H + j] = dcell * c_prev[j] * f * (1.0f - f);
    da[2 * H + j] = dcell * i * (1.0f - g * g);
    da[3 * H + j] = dh[j] * squashed * o * (1.0f - o);
    dc_prev[j] = dcell * f;
  }
}

}  // namespace

Tensor lstm_cell(const Tensor& gates_x, const Tensor& gates_h, const Tensor& c) {
  recurrence::check_float32({{"gates_x", &gates_x}, {"gates_h", &gates_h}, {"c", &c}}, "lstm_cell");
  HEED_CHECK(gates_x.dim() == 2 && gates_x.size(1) % 4 == 0 && gates_h.shape() == gates_x.shape() &&
                 c.shape() == Shape({gates_x.size(0), gates_x.size(1) / 4}),
             "lstm_cell", "gates_x is {}, gates_h {} and c {}; expected gates_x and gates_h (B, 4H) and c (B, H)",
             gates_x.shape(), gates_h.shape(), c.shape());
  const int64_t B = gates_x.size(0), H = gates_x.size(1) / 4;
  const Tensor gx = dense(gates_x), gh = dense(gates_h), c_prev = dense(c);
  Tensor out = Tensor::empty({B, 2 * H}), act = Tensor::empty({B, 4 * H}), tanh_c = Tensor::empty({B, H});
  {
    const float *x = gx.data<float>(), *h = gh.data<float>(), *cp = c_prev.data<float>();
    float *o = out.mutable_data<float>(), *a = act.mutable_data<float>(), *tc = tanh_c.mutable_data<float>();
    parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        forward_row(H, x + b * 4 * H, h + b * 4 * H, cp + b * H, a + b * 4 * H, o + b * 2 * H, o + b * 2 * H + H,
                    tc + b * H);
    });
  }
  record("lstm_cell", out, {gates_x, gates_h, c},
         [saved_act = SavedTensor(act), saved_tanh_c = SavedTensor(tanh_c), saved_c = SavedTensor(c_prev), B,
          H](const Tensor& grad, NeedsGrad needs) {
           // da from dh', dc' (the two halves of grad); d gates_x = d gates_h = da; dc = dc ⊙ f
           const Tensor g = dense(grad);
           Tensor da = Tensor::empty({B, 4 * H}), dc_prev = Tensor::empty({B, H});
           const float *a = saved_act.get().data<float>(), *tc = saved_tanh_c.get().data<float>(),
                       *cp = saved_c.get().data<float>(), *dy = g.data<float>();
           float *d = da.mutable_data<float>(), *dcp = dc_prev.mutable_data<float>();
           parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
             for (int64_t b = lo; b < hi; ++b)
               backward_row(H, a + b * 4 * H, tc + b * H, cp + b * H, dy + b * 2 * H, dy + b * 2 * H + H,
                            d + b * 4 * H, dcp + b * H);
           });
           return std::vector<Tensor>{needs[0] ? da : Tensor(), needs[1] ? da : Tensor(),
                                      needs[2] ? dc_prev : Tensor()};
         });
  return out;
}

Tensor lstm_recurrence(const Tensor& gates_x, const Tensor& weight_hh, const Tensor& h0, const Tensor& c0,
                       const Tensor& lengths, bool reverse) {
  recurrence::check_float32({{"gates_x", &gates_x}, {"weight_hh", &weight_hh}, {"h0", &h0}, {"c0", &c0}},
                            "lstm_recurrence");
  HEED_CHECK(gates_x.dim() == 3 && weight_hh.dim() == 2 && gates_x.size(2) == weight_hh.size(0) &&
                 weight_hh.size(0) == 4 * weight_hh.size(1) && gates_x.size(0) >= 1 && gates_x.size(1) >= 1,
             "lstm_recurrence", "gates_x is {} and weight_hh {}; expected gates_x (T, B, 4H) with T, B >= 1 and "
             "weight_hh (4H, H)", gates_x.shape(), weight_hh.shape());
  const int64_t T = gates_x.size(0), B = gates_x.size(1), H = weight_hh.size(1), G = 4 * H;
  for (auto [name, state] : {std::pair{"h0", &h0}, std::pair{"c0", &c0}})
    HEED_CHECK(!state->defined() || state->shape() == Shape({B, H}), "lstm_recurrence",
               "{} is {}; expected (B, H) = [{}, {}] for gates_x {}", name, state->shape(), B, H, gates_x.shape());
  const std::vector<int64_t> length = sequence_lengths(lengths, B, T, "lstm_recurrence");

  const std::array<Tensor, 4> inputs{gates_x, weight_hh, h0, c0};
  const bool recording = should_record(inputs);
  const Tensor gx = dense(gates_x), w = dense(weight_hh);
  // Backward reads every step's activations and incoming state; without it, reuse a few slots.
  const Slots act(recording ? T : 1, B, G), tanh_c(recording ? T : 1, B, H);
  const Slots h_in(recording ? T : 2, B, H), c_in(recording ? T : 2, B, H);
  Tensor out = Tensor::empty({T, B, 2 * H});
  recurrence::write_initial(h0, h_in.at(recurrence::time_at(0, T, reverse)), B * H);
  recurrence::write_initial(c0, c_in.at(recurrence::time_at(0, T, reverse)), B * H);
  const float* x = gx.data<float>();
  float* y = out.mutable_data<float>();
  for (int64_t step = 0; step < T; ++step) {
    const int64_t t = recurrence::time_at(step, T, reverse);
    const bool last = step + 1 == T;
    const int64_t next = last ? t : recurrence::time_at(step + 1, T, reverse);
    float* gates = act.at(t);
    recurrence::recurrent_product(h_in.at(t), w, nullptr, B, gates);  // (B, 4H) = h_in[t] · W_hhᵀ
    parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) {
        const float *h_prev = h_in.at(t) + b * H, *c_prev = c_in.at(t) + b * H;
        float* row = y + (t * B + b) * 2 * H;  // [h | c]
        if (t < length[b]) {
          forward_row(H, x + (t * B + b) * G, gates + b * G, c_prev, gates + b * G, row, row + H,
                      tanh_c.at(t) + b * H);
          h_prev = row;
          c_prev = row + H;
        } else {
          std::fill(row, row + 2 * H, 0.0f);
        }
        if (!last) {
          std::copy(h_prev, h_prev + H, h_in.at(next) + b * H);
          std::copy(c_prev, c_prev + H, c_in.at(next) + b * H);
        }
      }
    });
  }

  record("lstm_recurrence", out, {gates_x, weight_hh, h0, c0},
         [saved_act = SavedTensor(act.tensor()), saved_tanh_c = SavedTensor(tanh_c.tensor()),
          saved_h_in = SavedTensor(h_in.tensor()), saved_c_in = SavedTensor(c_in.tensor()), saved_w = SavedTensor(w),
          length, reverse, T, B, H, G](const Tensor& grad, NeedsGrad needs) {
           // Per step, last visited first: dh, dc += grad[t]; da[t] as above; dc ← dc ⊙ f; dh ← da[t] · W_hh.
           // Then dW_hh = Σ_t da[t]ᵀ h_in[t]; d gates_x = da; dh0, dc0 = dh, dc.
           const Tensor g = dense(grad), &w_hh = saved_w.get();
           Tensor da = Tensor::empty({T, B, G}), dh = zeros({B, H}), dc = zeros({B, H});
           const float *dy = g.data<float>(), *a = saved_act.get().data<float>(),
                       *tc = saved_tanh_c.get().data<float>(), *cp = saved_c_in.get().data<float>();
           float *d = da.mutable_data<float>(), *dh_run = dh.mutable_data<float>(), *dc_run = dc.mutable_data<float>();
           for (int64_t step = T - 1; step >= 0; --step) {
             const int64_t t = recurrence::time_at(step, T, reverse);
             parallel_for(0, B, recurrence::rows_per_thread(H), [&](int64_t lo, int64_t hi) {
               for (int64_t b = lo; b < hi; ++b) {
                 const int64_t row = t * B + b;
                 float* da_row = d + row * G;
                 if (t >= length[b]) {  // padding: no gradient into the gates, dh and dc pass through
                   std::fill(da_row, da_row + G, 0.0f);
                   continue;
                 }
                 float *dh_b = dh_run + b * H, *dc_b = dc_run + b * H;
                 const float* dy_row = dy + row * 2 * H;
                 for (int64_t j = 0; j < H; ++j) {
                   dh_b[j] += dy_row[j];
                   dc_b[j] += dy_row[H + j];
                 }
                 backward_row(H, a + row * G, tc + row * H, cp + row * H, dh_b, dc_b, da_row, dc_b);
                 std::fill(dh_b, dh_b + H, 0.0f);  // consumed; the GEMM below refills it
               }
             });
             if (step > 0 || needs[2]) recurrence::recurrent_product_backward(d + t * B * G, w_hh, B, dh_run);
           }
           Tensor dw = needs[1] ? recurrence::weight_hh_gradient(da, saved_h_in.get()) : Tensor();
           return std::vector<Tensor>{needs[0] ? da : Tensor(), dw, needs[2] ? dh : Tensor(), needs[3] ? dc : Tensor()};
         });
  return out;
}

}  // namespace heed::ops
