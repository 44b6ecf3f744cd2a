// Matrix products on BLAS.
//
// BLAS reads a matrix in place when one of its two dims is contiguous: rows contiguous (flag
// NoTrans, leading dimension = the row stride) or columns contiguous (flag Trans, leading dimension
// = the column stride). So a transposed view costs nothing, it is passed with the other flag; only
// a matrix with neither dim contiguous (or a broadcast one) is copied first. Backward reads the
// saved operands the same way and flips the flag for a transpose: dA = dC · Bᵀ passes B as stored
// with its flag flipped.
//
// A batch of products (everything before the last two dims) becomes as few GEMMs as the layout
// allows:
//   - one right matrix shared by every batch entry, as in (B, T, K) x (K, N), and left matrices
//     lying back to back in memory: ONE GEMM of (B·T, K) x (K, N);
//   - the gradient of that shared matrix, Σ_e A[e]ᵀ · dC[e]: ONE GEMM with the batch folded into
//     the inner dim, (K, B·T) x (B·T, N);
//   - otherwise one GEMM per batch entry. Small GEMMs run in parallel across the entries (OpenBLAS
//     then runs each on its calling thread); large ones run one after another, each threaded by
//     OpenBLAS. Where several entries add into one matrix (the gradient of a broadcast operand),
//     the first GEMM writes it (beta = 0) and the others add to it (beta = 1): no temporaries.
#include "heed/ops/matmul.h"
#include "heed/ops/matmul_into.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "heed/core/autograd.h"
#include "heed/core/blas.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/reduce.h"

namespace heed::ops {
namespace {

// m·n·k up to which a GEMM counts as small: a batch of them runs one GEMM per thread.
// (OpenBLAS itself keeps GEMMs below 64³ on one thread.)
constexpr int64_t kSmallGemm = int64_t{128} * 128 * 128;
// Multiply-adds below which a batch of small GEMMs stays on one thread: waking the team would cost
// more than it saves.
constexpr int64_t kParallelWork = int64_t{64} * 64 * 64;

// The matrices (last two dims) of a tensor as BLAS reads them. Element (i, j) of the batch entry
// starting at `offset` is
//   data()[offset + i·ld + j]   when trans is false (stored row by row),
//   data()[offset + j·ld + i]   when trans is true  (stored column by column).
struct Matrices {
  Tensor source;  // the tensor BLAS reads: the operand itself, or a dense copy of it
  int64_t rows = 0, cols = 0;
  bool trans = false;
  int64_t ld = 1;

  const float* data() const { return source.data<float>(); }
  // Elements one stored matrix spans: the offset of the next one when they lie back to back.
  int64_t span() const { return (trans ? cols : rows) * ld; }
  // The same storage read as the transposed matrices (cols, rows): only the flag flips.
  Matrices transposed() const { return {source, cols, rows, !trans, ld}; }
};

// How BLAS can read t's matrices without a copy, if it can.
std::optional<Matrices> read_in_place(const Tensor& t) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  if (rows == 0 || cols == 0) return Matrices{t, rows, cols, false, std::max<int64_t>(cols, 1)};
  const int64_t row_stride = t.strides()[t.dim() - 2], col_stride = t.strides()[t.dim() - 1];
  // A dim of size 1 is never stepped along, so its stride does not matter.
  const int64_t row_ld = rows == 1 ? cols : row_stride;
  if ((cols == 1 || col_stride == 1) && row_ld >= cols) return Matrices{t, rows, cols, false, row_ld};
  const int64_t col_ld = cols == 1 ? rows : col_stride;
  if ((rows == 1 || row_stride == 1) && col_ld >= rows) return Matrices{t, rows, cols, true, col_ld};
  return std::nullopt;
}

// t's matrices for BLAS: in place when possible, else from a dense copy.
Matrices matrices_of(const Tensor& t) {
  if (std::optional<Matrices> in_place = read_in_place(t)) return *in_place;
  return *read_in_place(contiguous_copy(t));
}

Shape batch_part(const Shape& dims) { return Shape(dims.begin(), dims.end() - 2); }

// The offset of every entry of `shape` (row-major order) for the given strides.
std::vector<int64_t> offsets_of(const Shape& shape, const Shape& strides) {
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(numel(shape)));
  Shape index(shape.size(), 0);
  for (int64_t n = 0, total = numel(shape); n < total; ++n) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d) offset += index[d] * strides[d];
    offsets.push_back(offset);
    for (size_t d = shape.size(); d-- > 0;) {  // odometer increment, last dim fastest
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return offsets;
}

// Where each entry of the product's batch finds its matrix in `m` (0 along broadcast dims).
std::vector<int64_t> batch_offsets(const Matrices& m, const Shape& batch) {
  const Tensor& t = m.source;
  return offsets_of(batch, broadcast_strides(batch_part(t.shape()), batch_part(t.strides()), batch));
}

// True when entry e starts e·span elements in: the stack is one tall stored matrix.
bool back_to_back(const std::vector<int64_t>& offsets, int64_t span) {
  for (size_t e = 0; e < offsets.size(); ++e)
    if (offsets[e] != static_cast<int64_t>(e) * span) return false;
  return true;
}

bool shared_by_all(const std::vector<int64_t>& offsets) {
  return std::all_of(offsets.begin(), offsets.end(), [](int64_t offset) { return offset == 0; });
}

// c (m, n, rows ldc apart) = op(a) · op(b) + beta · c, where op(a) is (m, k) and op(b) is (k, n).
void gemm(int64_t m, int64_t n, int64_t k, const Matrices& a, int64_t a_offset, const Matrices& b,
          int64_t b_offset, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum; BLAS libraries disagree on this edge case
    if (beta == 0)
      for (int64_t row = 0; row < m; ++row) std::fill(c + row * ldc, c + row * ldc + n, 0.0f);
    return;
  }
  blas::sgemm(a.trans, b.trans, m, n, k, 1.0f, a.data() + a_offset, a.ld, b.data() + b_offset, b.ld,
              beta, c, ldc);
}

// c (m, n, dense) = op(a) · op(b) + beta · c
void gemm(int64_t m, int64_t n, int64_t k, const Matrices& a, int64_t a_offset, const Matrices& b,
          int64_t b_offset, float beta, float* c) {
  gemm(m, n, k, a, a_offset, b, b_offset, beta, c, n);
}

// out = Σ_e op(L[e]) · op(R[e]) over the entries e of `batch`, each product added into the out
// matrix that e broadcasts to. out (..., m, n) has unit column stride and batch dims broadcasting
// to `batch`: the product itself (one entry per out matrix) or the gradient of a broadcast operand
// (several). out may be a view: its matrices are written where they lie.
void product_into(const Matrices& left, const Matrices& right, Tensor out, const Shape& batch) {
  const int64_t m = left.rows, k = left.cols, n = right.cols;
  float* c = out.mutable_data<float>();
  const int64_t ldc = m == 1 ? n : out.strides()[out.dim() - 2];
  const std::vector<int64_t> l = batch_offsets(left, batch), r = batch_offsets(right, batch);
  const Shape out_batch = batch_part(out.shape());
  const std::vector<int64_t> target =  // in elements
      offsets_of(batch, broadcast_strides(out_batch, batch_part(out.strides()), batch));
  const auto entries = static_cast<int64_t>(l.size());
  const int64_t targets = numel(out_batch);
  if (entries == 0) {  // an empty batch adds nothing to a broadcast operand's gradient
    fill(out, 0.0);
    return;
  }
  if (out.is_contiguous() && targets == entries && shared_by_all(r) && !left.trans &&
      back_to_back(l, left.span())) {
    gemm(entries * m, n, k, left, 0, right, 0, 0.0f, c);  // (entries·m, k) x (k, n)
    return;
  }
  if (out.is_contiguous() && targets == 1 && left.trans && back_to_back(l, left.span()) && !right.trans &&
      back_to_back(r, right.span())) {
    gemm(m, n, entries * k, left, 0, right, 0, 0.0f, c);  // (m, entries·k) x (entries·k, n)
    return;
  }
  // One GEMM per entry, grouped by the out matrix they add into (in batch order within a group).
  std::vector<int64_t> order(static_cast<size_t>(entries));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return target[x] < target[y]; });
  std::vector<int64_t> group_start{0};
  for (int64_t i = 1; i < entries; ++i)
    if (target[order[i]] != target[order[i - 1]]) group_start.push_back(i);
  group_start.push_back(entries);
  auto run_groups = [&](int64_t lo, int64_t hi) {
    for (int64_t group = lo; group < hi; ++group)
      for (int64_t i = group_start[group]; i < group_start[group + 1]; ++i) {
        const int64_t e = order[i];
        float beta = i == group_start[group] ? 0.0f : 1.0f;
        gemm(m, n, k, left, l[e], right, r[e], beta, c + target[e], ldc);
      }
  };
  const auto groups = static_cast<int64_t>(group_start.size()) - 1;
  if (m * n * k <= kSmallGemm)  // small GEMMs: one group per thread, once there is enough work to split
    parallel_for(0, groups, std::max<int64_t>(1, kParallelWork / std::max<int64_t>(m * n * k, 1)), run_groups);
  else
    run_groups(0, groups);
}

// The same into a new dense tensor of out_shape.
Tensor batched_product(const Matrices& left, const Matrices& right, const Shape& out_shape, const Shape& batch) {
  Tensor out = Tensor::empty(out_shape);
  product_into(left, right, out, batch);
  return out;
}

// The broadcast of a's and b's batch dims (all but the last two).
Shape broadcast_batch(const Shape& a, const Shape& b) {
  const Shape batch_a = batch_part(a), batch_b = batch_part(b);
  Shape batch(std::max(batch_a.size(), batch_b.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    int64_t size_a = i < batch_a.size() ? batch_a[batch_a.size() - 1 - i] : 1;
    int64_t size_b = i < batch_b.size() ? batch_b[batch_b.size() - 1 - i] : 1;
    HEED_CHECK(size_a == size_b || size_a == 1 || size_b == 1, "matmul",
               "batch dims do not broadcast: a is {}, b is {}; expected the dims before the last "
               "two to be equal or 1",
               a, b);
    batch[batch.size() - 1 - i] = size_a == 1 ? size_b : size_a;
  }
  return batch;
}

// t (..., n) as one (rows, n) matrix: a view when its leading dims lie back to back, else a copy.
Tensor as_rows(const Tensor& t) {
  const int64_t cols = t.size(-1);
  const int64_t rows = numel(Shape(t.shape().begin(), t.shape().end() - 1));
  int64_t row_stride = cols, next = -1;  // next: the stride the next outer dim must have
  for (int64_t d = t.dim() - 2; d >= 0; --d) {
    const int64_t size = t.shape()[d], stride = t.strides()[d];
    if (size == 1) continue;
    if (next < 0)
      row_stride = stride;
    else if (stride != next)
      return as_rows(contiguous_copy(t));
    next = stride * size;
  }
  return make_view(t, {rows, cols}, {row_stride, t.strides().back()}, t.offset());
}

// Every row of dense y (..., n) set to bias (n).
void fill_rows(Tensor& y, const Tensor& bias) {
  const Tensor dense_bias = dense(bias);
  const float* src = dense_bias.data<float>();
  float* dst = y.mutable_data<float>();
  const int64_t n = bias.numel(), rows = n == 0 ? 0 : y.numel() / n;
  parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(n, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t row = lo; row < hi; ++row) std::copy(src, src + n, dst + row * n);
               });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_dtype(a, Dtype::Float32, "matmul", "a");
  check_dtype(b, Dtype::Float32, "matmul", "b");
  HEED_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul",
             "a is {} and b is {}; expected at least 2 dims each (heed does not promote a 1-D "
             "vector: reshape it to (1, n) or (n, 1))",
             a.shape(), b.shape());
  HEED_CHECK(a.size(-1) == b.size(-2), "matmul",
             "inner dimensions differ: a is {}, b is {}; expected a.size(-1) == b.size(-2)",
             a.shape(), b.shape());
  const Shape batch = broadcast_batch(a.shape(), b.shape());
  Shape out_shape = batch;
  out_shape.push_back(a.size(-2));
  out_shape.push_back(b.size(-1));
  const Matrices ma = matrices_of(a), mb = matrices_of(b);
  Tensor out = batched_product(ma, mb, out_shape, batch);
  // Save what BLAS read (a dense copy only if the input was unreadable); A only for dB, B for dA.
  SavedTensor saved_a = b.requires_grad() ? SavedTensor(ma.source) : SavedTensor();
  SavedTensor saved_b = a.requires_grad() ? SavedTensor(mb.source) : SavedTensor();
  record("matmul", out, {a, b},
         [saved_a, saved_b, batch, shape_a = a.shape(), shape_b = b.shape()](const Tensor& g,
                                                                              NeedsGrad needs) {
           // dA = dC · Bᵀ,  dB = Aᵀ · dC   (each summed over the batch entries that broadcast it)
           const Matrices grad = matrices_of(g);
           Tensor grad_a, grad_b;
           if (needs[0])
             grad_a = batched_product(grad, matrices_of(saved_b.get()).transposed(), shape_a, batch);
           if (needs[1])
             grad_b = batched_product(matrices_of(saved_a.get()).transposed(), grad, shape_b, batch);
           return std::vector<Tensor>{grad_a, grad_b};
         });
  return out;
}

void matmul_into(const Tensor& a, const Tensor& b, const Tensor& out) {
  HEED_CHECK(a.dim() >= 2 && b.dim() >= 2 && a.size(-1) == b.size(-2), "matmul_into",
             "a is {} and b is {}; expected a (..., M, K) and b (..., K, N)", a.shape(), b.shape());
  Shape out_shape = broadcast_batch(a.shape(), b.shape());
  out_shape.push_back(a.size(-2));
  out_shape.push_back(b.size(-1));
  HEED_CHECK(out.shape() == out_shape && out.dtype() == Dtype::Float32 &&
                 (out.size(-1) == 1 || out.strides().back() == 1) &&
                 (out.size(-2) == 1 || out.strides()[out.dim() - 2] >= out.size(-1)),
             "matmul_into", "out is {} with strides {} for a {} x b {}; expected float32 {} with unit column stride",
             out.shape(), out.strides(), a.shape(), b.shape(), out_shape);
  product_into(matrices_of(a), matrices_of(b), out, batch_part(out_shape));
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_dtype(x, Dtype::Float32, "linear", "x");
  check_dtype(weight, Dtype::Float32, "linear", "weight");
  if (bias.defined()) check_dtype(bias, Dtype::Float32, "linear", "bias");
  HEED_CHECK(x.dim() >= 1 && weight.dim() == 2 && x.size(-1) == weight.size(-1), "linear",
             "x is {} and weight is {}; expected x (..., in) and weight (out, in) with the same in",
             x.shape(), weight.shape());
  const int64_t in = weight.size(1), out_features = weight.size(0);
  HEED_CHECK(!bias.defined() || bias.shape() == Shape{out_features}, "linear",
             "bias is {} for weight {}; expected bias of shape [{}]",
             bias.defined() ? bias.shape() : Shape{}, weight.shape(), out_features);
  Shape out_shape = x.shape();
  out_shape.back() = out_features;
  const Matrices mx = matrices_of(as_rows(x)), mw = matrices_of(weight);
  Tensor y = Tensor::empty(out_shape);
  float beta = 0.0f;
  if (bias.defined()) {
    fill_rows(y, bias);
    beta = 1.0f;
  }
  // (rows, in) x (in, out), reading W as stored with the Trans flag
  gemm(mx.rows, out_features, in, mx, 0, mw.transposed(), 0, beta, y.mutable_data<float>());
  // X only for dW, W only for dX.
  SavedTensor saved_x = weight.requires_grad() ? SavedTensor(mx.source) : SavedTensor();
  SavedTensor saved_w = x.requires_grad() ? SavedTensor(mw.source) : SavedTensor();
  record("linear", y, {x, weight, bias},
         [saved_x, saved_w, shape_x = x.shape(), shape_w = weight.shape()](const Tensor& g,
                                                                          NeedsGrad needs) {
           // dX = dY · W,  dW = dYᵀ · X,  db = Σ_rows dY   (all rows of X at once)
           const Matrices dy = matrices_of(as_rows(g));
           const int64_t rows = dy.rows, out = shape_w[0], in_features = shape_w[1];
           Tensor grad_x, grad_w, grad_b;
           if (needs[0]) {
             grad_x = Tensor::empty(shape_x);
             gemm(rows, in_features, out, dy, 0, matrices_of(saved_w.get()), 0, 0.0f,
                  grad_x.mutable_data<float>());
           }
           if (needs[1]) {  // into dW's running sum when the engine offers it (beta = 1), else a fresh dW
             Tensor* sum = needs.grad_sum(1);
             if (sum == nullptr) grad_w = Tensor::empty(shape_w);
             gemm(out, in_features, rows, dy.transposed(), 0, matrices_of(saved_x.get()), 0, sum ? 1.0f : 0.0f,
                  sum ? sum->mutable_data<float>() : grad_w.mutable_data<float>());
           }
           if (needs[2]) grad_b = sum_to(g, {out});
           return std::vector<Tensor>{grad_x, grad_w, grad_b};
         });
  return y;
}

}  // namespace heed::ops
