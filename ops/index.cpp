// Indexing ops. A gather along `dim` sees the input as (outer, size, inner) blocks, with `dim` in
// the middle, and copies whole rows of `inner` elements:
//   out[o, j, i] = x[o, index[j], i]               (forward: one memcpy per row)
//   dx[o, index[j], i] += g[o, j, i]               (backward: scatter-add, deterministic)
// masked_fill and where are one elementwise choice, out = condition ? a : b, over broadcast operands.
#include "heed/ops/index.h"

#include <cstring>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/strided.h"
#include "heed/ops/reduce.h"

namespace heed::ops {
namespace {

// A tensor of `shape` seen as (outer, size, inner) around `dim`.
struct Rows {
  int64_t outer = 1, size = 1, inner = 1;
};

Rows rows_around(const Shape& shape, int64_t dim) {
  Rows rows;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    int64_t& part = d < dim ? rows.outer : (d == dim ? rows.size : rows.inner);
    part *= shape[d];
  }
  return rows;
}

// Flat position of the first index outside [0, size), or -1 when all are in range.
int64_t first_out_of_range(const Tensor& indices, int64_t size) {
  const int64_t* index = indices.data<int64_t>();
  for (int64_t n = 0; n < indices.numel(); ++n)
    if (index[n] < 0 || index[n] >= size) return n;
  return -1;
}


// out (outer, n, inner) = x (outer, size, inner) at rows index[0..n). Both dense; indices checked.
template <class T>
void gather_rows(const Tensor& x, Tensor& out, Rows rows, const int64_t* index, int64_t n) {
  const T* in = x.data<T>();
  T* o = out.mutable_data<T>();
  const size_t row_bytes = static_cast<size_t>(rows.inner) * sizeof(T);
  parallel_for(0, rows.outer * n, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(rows.inner, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t r = lo; r < hi; ++r) {
                   int64_t outer = r / n, j = r % n;
                   std::memcpy(o + r * rows.inner, in + (outer * rows.size + index[j]) * rows.inner, row_bytes);
                 }
               });
}

// The gradient of a gather: a zero tensor of `shape` (seen as `rows`) with row j of g (outer, n,
// inner) added into row index[j], except rows whose index is `skip`. Threads split the
// (outer, inner) columns and each walks j in order: no two threads write one element, and every
// sum is formed in the same order whatever the thread count.
Tensor scatter_add_rows(const Tensor& g, const Shape& shape, Rows rows, const int64_t* index, int64_t n,
                        int64_t skip) {
  Tensor grad = zeros(shape);
  Tensor g_dense = dense(g);
  float* dst = grad.mutable_data<float>();
  const float* src = g_dense.data<float>();
  parallel_for(0, rows.outer * rows.inner, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(n, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t column = lo; column < hi;) {  // one (outer, inner range) piece at a time
                   int64_t outer = column / rows.inner, i_lo = column % rows.inner;
                   int64_t i_hi = std::min(rows.inner, i_lo + (hi - column));
                   for (int64_t j = 0; j < n; ++j) {
                     if (index[j] == skip) continue;
                     float* d = dst + (outer * rows.size + index[j]) * rows.inner;
                     const float* s = src + (outer * n + j) * rows.inner;
                     for (int64_t i = i_lo; i < i_hi; ++i) d[i] += s[i];
                   }
                   column += i_hi - i_lo;
                 }
               });
  return grad;
}

// out[...] = condition[...] != 0 ? a[...] : b[...], every operand broadcast to out's shape.
template <class C>
void choose_into(Tensor& out, const Tensor& condition, const Tensor& a, const Tensor& b) {
  const Shape& shape = out.shape();
  float* o = out.mutable_data<float>();
  const C* pc = condition.data<C>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  for_each_run<4>(
      shape,
      {out.strides(), broadcast_strides(condition.shape(), condition.strides(), shape),
       broadcast_strides(a.shape(), a.strides(), shape), broadcast_strides(b.shape(), b.strides(), shape)},
      [&](const std::array<int64_t, 4>& at, int64_t count, const std::array<int64_t, 4>& step) {
        float* dst = o + at[0];
        const C* c = pc + at[1];
        const float* x = pa + at[2];
        const float* y = pb + at[3];
        // Both sides are read before choosing, so the choice is a branch-free blend that
        // vectorises (a conditional read compiles to slower code).
        if (step[1] == 1 && step[2] == 1 && step[3] == 1) {
          for (int64_t i = 0; i < count; ++i) {
            const float xi = x[i], yi = y[i];
            dst[i] = c[i] != 0 ? xi : yi;
          }
        } else if (step[1] == 1 && step[2] == 0 && step[3] == 1) {  // masked_fill: a is the value
          const float x0 = *x;
          for (int64_t i = 0; i < count; ++i) {
            const float yi = y[i];
            dst[i] = c[i] != 0 ? x0 : yi;
          }
        } else {
          for (int64_t i = 0; i < count; ++i) dst[i] = c[i * step[1]] != 0 ? x[i * step[2]] : y[i * step[3]];
        }
      });
}

Tensor choose(const Tensor& condition, const Tensor& a, const Tensor& b, const Shape& shape) {
  Tensor out = Tensor::empty(shape);
  if (condition.dtype() == Dtype::Float32)
    choose_into<float>(out, condition, a, b);
  else
    choose_into<int64_t>(out, condition, a, b);
  return out;
}

// True when `from` broadcasts to exactly `to`.
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  const size_t lead = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d)
    if (from[d] != 1 && from[d] != to[lead + d]) return false;
  return true;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& indices) {
  HEED_CHECK(x.defined(), "index_select", "input is an undefined tensor");
  HEED_CHECK(x.dim() > 0, "index_select", "input has shape []; expected at least one dim");
  dim = wrap_dim(dim, x.dim(), "index_select");
  check_dtype(indices, Dtype::Int64, "index_select", "indices");
  HEED_CHECK(indices.dim() == 1, "index_select", "indices have shape {}; expected 1 dim", indices.shape());
  Tensor index = dense(indices);
  const int64_t size = x.size(dim), n = index.numel();
  const int64_t bad = first_out_of_range(index, size);
  HEED_CHECK(bad < 0, "index_select", "index {} at position {} is out of range for dim {} of shape {}; "
             "expected 0 <= index < {}", index.data<int64_t>()[bad], bad, dim, x.shape(), size);
  Shape shape = x.shape();
  shape[dim] = n;
  Tensor out = Tensor::empty(shape, x.dtype());
  const Rows rows = rows_around(x.shape(), dim);
  if (x.dtype() == Dtype::Float32)
    gather_rows<float>(dense(x), out, rows, index.data<int64_t>(), n);
  else
    gather_rows<int64_t>(dense(x), out, rows, index.data<int64_t>(), n);
  // dx[.., indices[j], ..] += g[.., j, ..]  (repeated indices accumulate)
  record("index_select", out, {x}, [saved = SavedTensor(index), shape = x.shape(), rows](const Tensor& g, NeedsGrad) {
    const Tensor& saved_index = saved.get();
    return std::vector<Tensor>{scatter_add_rows(g, shape, rows, saved_index.data<int64_t>(), saved_index.numel(), -1)};
  });
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& ids, std::optional<int64_t> padding_idx) {
  check_dtype(weight, Dtype::Float32, "embedding", "weight");
  check_dtype(ids, Dtype::Int64, "embedding", "ids");
  HEED_CHECK(weight.dim() == 2, "embedding", "weight has shape {}; expected 2 dims (V, D)", weight.shape());
  const int64_t V = weight.size(0), D = weight.size(1);
  int64_t skip = -1;  // the row that gets no gradient (none: -1 matches no id)
  if (padding_idx) {
    HEED_CHECK(*padding_idx >= -V && *padding_idx < V, "embedding",
               "padding_idx {} for a weight of shape {}; expected -{} <= padding_idx < {}", *padding_idx,
               weight.shape(), V, V);
    skip = *padding_idx < 0 ? *padding_idx + V : *padding_idx;
  }
  Tensor flat_ids = dense(ids);
  const int64_t bad = first_out_of_range(flat_ids, V);
  HEED_CHECK(bad < 0, "embedding", "id {} at position {} of ids (shape {}) is out of range for a weight of "
             "shape {}; expected 0 <= id < V = {}", flat_ids.data<int64_t>()[bad], unravel_index(bad, ids.shape()),
             ids.shape(), weight.shape(), V);
  Shape shape = ids.shape();
  shape.push_back(D);
  Tensor out = Tensor::empty(shape);  // (*ids.shape, D)
  gather_rows<float>(dense(weight), out, Rows{1, V, D}, flat_ids.data<int64_t>(), flat_ids.numel());
  // dW[ids[n], :] += g[n, :] for every position n whose id is not padding_idx
  record("embedding", out, {weight}, [saved = SavedTensor(flat_ids), V, D, skip](const Tensor& g, NeedsGrad) {
    const Tensor& id = saved.get();
    return std::vector<Tensor>{scatter_add_rows(g, {V, D}, Rows{1, V, D}, id.data<int64_t>(), id.numel(), skip)};
  });
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, float value) {
  check_dtype(x, Dtype::Float32, "masked_fill", "input");
  HEED_CHECK(mask.defined(), "masked_fill", "mask is an undefined tensor");
  HEED_CHECK(broadcasts_to(mask.shape(), x.shape()), "masked_fill",
             "mask of shape {} cannot be broadcast to the input's shape {}; expected each mask size to "
             "equal the input's or be 1", mask.shape(), x.shape());
  Tensor out = choose(mask, scalar_tensor(value), x, x.shape());
  // dx = g where the mask is zero; 0 where x was overwritten
  record("masked_fill", out, {x}, [saved = SavedTensor(mask)](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{masked_fill(g, saved.get(), 0.0f)};
  });
  return out;
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  HEED_CHECK(condition.defined(), "where", "condition is an undefined tensor");
  check_dtype(a, Dtype::Float32, "where", "a");
  check_dtype(b, Dtype::Float32, "where", "b");
  Shape shape = broadcast_shapes(condition.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = choose(condition, a, b, shape);
  // da = g where condition, db = g elsewhere; each summed back to its input's shape
  record("where", out, {a, b}, [saved = SavedTensor(condition), sa = a.shape(), sb = b.shape()](
                                   const Tensor& g, NeedsGrad needs) {
    const Tensor& c = saved.get();
    Tensor zero = scalar_tensor(0.0f);
    return std::vector<Tensor>{needs[0] ? sum_to(where(c, g, zero), sa) : Tensor(),
                               needs[1] ? sum_to(where(c, zero, g), sb) : Tensor()};
  });
  return out;
}

}  // namespace heed::ops
