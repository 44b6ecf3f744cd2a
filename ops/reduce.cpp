// Reductions. A dense tensor reduced over a run of adjacent dims is viewed as a 3-D block
// (outer, reduced, inner), and the kernels reduce the middle index:
//   out[o, i] = Σ_r x[o, r, i]   (sum)       out[o, i] = max_r x[o, r, i]   (max)
// Non-adjacent dims are reduced one run at a time, last run first.
#include "heed/ops/reduce.h"

#include <algorithm>
#include <limits>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/ops/elementwise.h"

namespace heed::ops {
namespace {

struct Block {
  int64_t outer = 1, reduced = 1, inner = 1;
};

// The block view of `shape` when dims [first, last] are reduced.
Block block_of(const Shape& shape, int64_t first, int64_t last) {
  Block block;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    int64_t& part = d < first ? block.outer : (d <= last ? block.reduced : block.inner);
    part *= shape[static_cast<size_t>(d)];
  }
  return block;
}

// Sorted, unique, wrapped dims; all dims when `dims` is empty.
std::vector<int64_t> normalise_dims(const std::vector<int64_t>& dims, int64_t ndim, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(wrap_dim(d, ndim, op));
  std::sort(out.begin(), out.end());
  HEED_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op,
             "dim listed twice in {}", dims);
  return out;
}

Shape dropped_shape(const Shape& shape, const std::vector<int64_t>& dims) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), static_cast<int64_t>(d))) out.push_back(shape[d]);
  return out;
}

// A view of `t` (whose elements are laid out as `shape`) with the given dense shape.
Tensor dense_view(const Tensor& t, const Shape& shape) {
  return make_view(t, shape, contiguous_strides(shape), t.offset());
}

float sum_of_row(const float* row, int64_t n) {
  float total = 0;
#pragma omp simd reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) total += row[i];
  return total;
}

// The row is cut into chunks of a fixed size, summed in parallel, and the chunk sums are added
// in order: the result is the same whatever the thread count.
float sum_of_long_row(const float* row, int64_t n) {
  constexpr int64_t kChunk = 16384;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<float> partial(static_cast<size_t>(chunks));
  parallel_for(0, chunks, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c)
      partial[static_cast<size_t>(c)] = sum_of_row(row + c * kChunk, std::min(kChunk, n - c * kChunk));
  });
  float total = 0;
  for (float p : partial) total += p;
  return total;
}

// Output rows at least this long split their columns across threads; shorter ones split the rows.
constexpr int64_t kColumnsToSplit = 4096;
constexpr int64_t kRowsPerBlock = 64;

// dst[i] = Σ_r src[r·width + i] for i in [lo, hi), r in [0, rows): vectorises along i.
void add_rows(const float* src, int64_t rows, int64_t width, int64_t lo, int64_t hi, float* dst) {
  std::fill(dst + lo, dst + hi, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) dst[i] += src[r * width + i];
}

// dst (width) = the sum of the rows of src (rows, width). The rows are cut into blocks of a fixed
// size, summed in parallel, and the block sums are added in order: the result is the same whatever
// the thread count.
void sum_row_blocks(const float* src, int64_t rows, int64_t width, float* dst) {
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<float> partial(static_cast<size_t>(blocks * width));
  parallel_for(0, blocks, std::max<int64_t>(1, kElementwiseGrain / (kRowsPerBlock * width)), [&](int64_t lo, int64_t hi) {
    for (int64_t block = lo; block < hi; ++block)
      add_rows(src + block * kRowsPerBlock * width, std::min(kRowsPerBlock, rows - block * kRowsPerBlock), width, 0,
               width, partial.data() + block * width);
  });
  add_rows(partial.data(), blocks, width, 0, width, dst);
}

// Sum of dense x over dims [first, last], keepdim.
Tensor sum_block(const Tensor& x, int64_t first, int64_t last) {
  Block b = block_of(x.shape(), first, last);
  Shape out_shape = x.shape();
  for (int64_t d = first; d <= last; ++d) out_shape[static_cast<size_t>(d)] = 1;
  Tensor out = Tensor::empty(out_shape);
  const float* in = x.data<float>();
  float* o = out.mutable_data<float>();
  if (b.inner == 1 && b.outer == 1) {  // one long row: chunks in parallel, then in order
    o[0] = sum_of_long_row(in, b.reduced);
  } else if (b.inner == 1) {  // each output is the sum of one contiguous row
    parallel_for(0, b.outer, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(b.reduced, 1)),
                 [&](int64_t lo, int64_t hi) {
                   for (int64_t row = lo; row < hi; ++row) o[row] = sum_of_row(in + row * b.reduced, b.reduced);
                 });
  } else if (b.outer > 1) {  // add whole rows of length inner: vectorises along i
    parallel_for(0, b.outer, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t outer = lo; outer < hi; ++outer)
        add_rows(in + outer * b.reduced * b.inner, b.reduced, b.inner, 0, b.inner, o + outer * b.inner);
    });
  } else if (b.inner >= kColumnsToSplit || b.reduced < 2 * kRowsPerBlock) {  // one output row: split its columns
    parallel_for(0, b.inner, 1024, [&](int64_t lo, int64_t hi) { add_rows(in, b.reduced, b.inner, lo, hi, o); });
  } else {  // a short output row over many rows (a bias gradient): split the rows
    sum_row_blocks(in, b.reduced, b.inner, o);
  }
  return out;
}

// Sum over sorted dims, keepdim, no autograd.
Tensor sum_keepdim(const Tensor& x, const std::vector<int64_t>& dims) {
  Tensor result = dense(x);
  // Reduce maximal runs of adjacent dims, last run first, so earlier dims keep their positions.
  for (size_t end = dims.size(); end > 0;) {
    size_t start = end - 1;
    while (start > 0 && dims[start - 1] + 1 == dims[start]) --start;
    result = sum_block(result, dims[start], dims[end - 1]);
    end = start;
  }
  return result;
}

// Reads g (of the reduced shape, without keepdim) as a tensor of `input_shape`: the reduced
// dims get stride 0, so every input position sees its output's gradient. No copy.
Tensor broadcast_back(const Tensor& g, const Shape& input_shape, const std::vector<int64_t>& dims) {
  Shape strides(input_shape.size(), 0);
  size_t g_dim = 0;
  for (size_t d = 0; d < input_shape.size(); ++d) {
    bool reduced = std::binary_search(dims.begin(), dims.end(), static_cast<int64_t>(d));
    if (!reduced) strides[d] = g.strides()[g_dim++];
  }
  return make_view(g, input_shape, strides, g.offset());
}

// g has the output's shape (with or without keepdim); view it without the reduced dims.
Tensor drop_reduced(const Tensor& g, const std::vector<int64_t>& dims, bool keepdim) {
  if (!keepdim) return g;
  Shape shape, strides;
  for (size_t d = 0; d < g.shape().size(); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), static_cast<int64_t>(d))) {
      shape.push_back(g.shape()[d]);
      strides.push_back(g.strides()[d]);
    }
  return make_view(g, shape, strides, g.offset());
}

// Position of the first largest of n contiguous values; of the first NaN if there is one (a NaN
// propagates, as in PyTorch). The row is read in blocks of 256: each block's max and NaN count
// come from a loop that vectorises; only the winning block is then searched element by element.
int64_t argmax_of_row(const float* row, int64_t n) {
  constexpr int64_t kBlock = 256;
  float best = -INFINITY;
  int64_t best_block = 0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    float block_max = -INFINITY;
    int nan_count = 0;
#pragma omp simd reduction(max : block_max) reduction(+ : nan_count)
    for (int64_t r = start; r < end; ++r) {
      block_max = row[r] > block_max ? row[r] : block_max;
      nan_count += row[r] != row[r];
    }
    if (nan_count > 0) {
      int64_t r = start;
      while (row[r] == row[r]) ++r;
      return r;
    }
    if (block_max > best) {
      best = block_max;
      best_block = start;
    }
  }
  int64_t r = best_block;
  while (row[r] != best) ++r;
  return r;
}

// The same along a column of n values `stride` apart (reduced dim not last).
int64_t argmax_of_column(const float* column, int64_t n, int64_t stride) {
  int64_t best = 0;
  for (int64_t r = 1; r < n; ++r) {
    float value = column[r * stride];
    if (value != value) return r;
    if (value > column[best * stride]) best = r;
  }
  return best;
}

// (values, indices) of the max over dim of dense x, keepdim shape.
std::pair<Tensor, Tensor> max_along(const Tensor& x, int64_t dim, const char* op) {
  check_dtype(x, Dtype::Float32, op, "input");
  HEED_CHECK(x.dim() == 0 || x.size(dim) > 0, op, "cannot take the max of an empty dim {} of shape {}",
             dim, x.shape());
  Tensor input = dense(x);
  Block b = x.dim() == 0 ? Block{} : block_of(x.shape(), dim, dim);
  Shape shape = x.shape();
  if (x.dim() > 0) shape[static_cast<size_t>(dim)] = 1;
  Tensor values = Tensor::empty(shape), indices = Tensor::empty(shape, Dtype::Int64);
  const float* in = input.data<float>();
  float* v = values.mutable_data<float>();
  int64_t* idx = indices.mutable_data<int64_t>();
  parallel_for(0, b.outer * b.inner, std::max<int64_t>(1, kElementwiseGrain / b.reduced), [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; ++n) {
      int64_t o = n / b.inner, i = n % b.inner;
      idx[n] = b.inner == 1 ? argmax_of_row(in + o * b.reduced, b.reduced)
                            : argmax_of_column(in + o * b.reduced * b.inner + i, b.reduced, b.inner);
      v[n] = in[(o * b.reduced + idx[n]) * b.inner + i];
    }
  });
  return {values, indices};
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_dtype(x, Dtype::Float32, "sum", "input");
  std::vector<int64_t> reduced = normalise_dims(dims, x.dim(), "sum");
  Tensor kept = sum_keepdim(x, reduced);
  Tensor out = keepdim ? kept : dense_view(kept, dropped_shape(x.shape(), reduced));
  // dx = g broadcast back over the reduced dims
  record("sum", out, {x}, [reduced, keepdim, shape = x.shape()](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{broadcast_back(drop_reduced(g, reduced, keepdim), shape, reduced)};
  });
  return out;
}

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  std::vector<int64_t> reduced = normalise_dims(dims, x.dim(), "mean");
  int64_t count = 1;
  for (int64_t d : reduced) count *= x.shape()[static_cast<size_t>(d)];
  HEED_CHECK(count > 0, "mean", "mean over dims {} of shape {} covers no elements", dims, x.shape());
  return mul(sum(x, dims, keepdim), 1.0f / static_cast<float>(count));
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor max(const Tensor& x, int64_t dim, bool keepdim) {
  dim = wrap_dim(dim, x.dim(), "max");
  auto [values, indices] = max_along(x, dim, "max");
  std::vector<int64_t> reduced = x.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{dim};
  Tensor out = keepdim ? values : dense_view(values, dropped_shape(x.shape(), reduced));
  // dx[.., argmax, ..] = g; zero elsewhere. (An init-capture: clang 14 cannot capture a structured binding.)
  record("max", out, {x}, [dim, winners = indices, shape = x.shape()](const Tensor& g, NeedsGrad) {
    Tensor grad = zeros(shape);
    Tensor g_dense = contiguous_copy(g);
    Block b = shape.empty() ? Block{} : block_of(shape, dim, dim);
    float* dx = grad.mutable_data<float>();
    const float* dy = g_dense.data<float>();
    const int64_t* idx = winners.data<int64_t>();
    for (int64_t n = 0; n < b.outer * b.inner; ++n) {
      int64_t o = n / b.inner, i = n % b.inner;
      dx[(o * b.reduced + idx[n]) * b.inner + i] += dy[n];
    }
    return std::vector<Tensor>{grad};
  });
  return out;
}

Tensor max(const Tensor& x) {
  Tensor flat = dense_view(dense(x), {x.numel()});
  auto [values, indices] = max_along(flat, 0, "max");
  Tensor out = dense_view(values, {});
  // dx[argmax] = g; zero elsewhere
  record("max_all", out, {x}, [winners = indices, shape = x.shape()](const Tensor& g, NeedsGrad) {
    Tensor grad = zeros(shape);
    grad.mutable_data<float>()[winners.item<int64_t>()] = g.item<float>();
    return std::vector<Tensor>{grad};
  });
  return out;
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  dim = wrap_dim(dim, x.dim(), "argmax");
  Tensor indices = max_along(x, dim, "argmax").second;
  if (keepdim || x.dim() == 0) return indices;
  return dense_view(indices, dropped_shape(x.shape(), {dim}));
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  size_t lead = grad.shape().size() - shape.size();
  std::vector<int64_t> dims;
  for (size_t d = 0; d < grad.shape().size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.shape()[d] != 1)) dims.push_back(static_cast<int64_t>(d));
  Tensor kept = sum_keepdim(grad, dims);
  return dense_view(kept, shape);
}

}  // namespace heed::ops
