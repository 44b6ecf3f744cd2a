// Shape ops. Most are views: the forward builds a new (shape, strides, offset) over the input's
// storage with make_view, and the backward lays the gradient back out in the input's shape. Only
// cat, stack, contiguous and a reshape that the strides cannot express copy data.
#include "heed/ops/shape.h"

#include <algorithm>
#include <optional>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/strided.h"
#include "heed/ops/reduce.h"

namespace heed::ops {
namespace {

// ---- building blocks: views and copies with no autograd ----

// Wraps `dim` for an op that works along an existing dim (so x needs at least one).
int64_t existing_dim(const Tensor& x, int64_t dim, const char* op) {
  HEED_CHECK(x.dim() > 0, op, "cannot work along a dim of a tensor of shape [] (it has no dims)");
  return wrap_dim(dim, x.dim(), op);
}

// Wraps the position of a dim to insert into a tensor of `ndim` dims: [-ndim-1, ndim].
int64_t insertion_dim(int64_t dim, int64_t ndim, const char* op) {
  HEED_CHECK(dim >= -ndim - 1 && dim <= ndim, op,
             "dim {} is out of range for inserting a dim into a tensor with {} dims; expected a dim "
             "in [{}, {}]", dim, ndim, -ndim - 1, ndim);
  return dim < 0 ? dim + ndim + 1 : dim;
}

// `length` elements along dim, starting at `start`, every `step`-th.
Tensor slice_view(const Tensor& x, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Shape shape = x.shape(), strides = x.strides();
  int64_t offset = x.offset() + start * strides[dim];
  shape[dim] = length;
  strides[dim] *= step;
  return make_view(x, std::move(shape), std::move(strides), offset);
}

// Entry `index` along dim, without that dim.
Tensor select_view(const Tensor& x, int64_t dim, int64_t index) {
  Shape shape = x.shape(), strides = x.strides();
  int64_t offset = x.offset() + index * strides[dim];
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(x, std::move(shape), std::move(strides), offset);
}

// x with a size-1 dim inserted at position dim (in [0, x.dim()]).
Tensor unsqueeze_view(const Tensor& x, int64_t dim) {
  Shape shape = x.shape(), strides = x.strides();
  int64_t stride = dim < x.dim() ? shape[dim] * strides[dim] : 1;  // any stride works for size 1
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, stride);
  return make_view(x, std::move(shape), std::move(strides), x.offset());
}

// The tensors (checked to fit) joined along dim into a new dense tensor. Each input fills its
// slice of the output; a contiguous input goes in as one memcpy per run of the output.
Tensor concatenate(const std::vector<Tensor>& tensors, int64_t dim) {
  Shape shape = tensors[0].shape();
  shape[dim] = 0;
  for (const Tensor& t : tensors) shape[dim] += t.size(dim);
  Tensor out = Tensor::empty(shape, tensors[0].dtype());
  int64_t start = 0;
  for (const Tensor& t : tensors) {
    copy_into(slice_view(out, dim, start, t.size(dim), 1), t);
    start += t.size(dim);
  }
  return out;
}

// ---- reshape's rules ----

// `shape` with its -1 (if any) replaced by the size that keeps `from`'s element count.
Shape infer_shape(const Shape& from, Shape shape, const char* op) {
  const int64_t count = numel(from);
  int64_t known = 1;
  std::optional<size_t> unknown;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      HEED_CHECK(!unknown, op, "cannot reshape {} to {}: only one size may be -1", from, shape);
      unknown = d;
    } else {
      HEED_CHECK(shape[d] >= 0, op, "cannot reshape {} to {}: size {} is negative", from, shape, shape[d]);
      known *= shape[d];
    }
  }
  if (unknown) {
    HEED_CHECK(known != 0 && count % known == 0, op,
               "cannot reshape {} ({} elements) to {}: no size for -1 gives {} elements", from, count,
               shape, count);
    shape[*unknown] = count / known;
  }
  HEED_CHECK(numel(shape) == count, op, "cannot reshape {} ({} elements) to {} ({} elements)", from,
             count, shape, numel(shape));
  return shape;
}

// Strides that read (old_shape, old_strides)'s elements in row-major order as `shape`, if there
// are any (PyTorch's computeStride). Old dims laid out back to back form chunks; walking from the
// last dim, each chunk must be exactly covered by a run of new dims, which then step through it
// with strides built from the chunk's innermost stride. A chunk split across new dims in any
// other way would need a copy.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& shape) {
  if (old_shape.empty() || numel(old_shape) == 0) return contiguous_strides(shape);
  Shape strides(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_stride = old_strides.back(), chunk_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    chunk_numel *= old_shape[d];
    bool chunk_ends = d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != chunk_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < chunk_numel || shape[view_d] == 1)) {
      strides[view_d] = view_numel * chunk_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != chunk_numel) return std::nullopt;
    if (d > 0) {
      chunk_stride = old_strides[d - 1];
      chunk_numel = view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

// reshape and view: a view when the strides allow one, else (only if may_copy) a dense copy.
Tensor reshaped(const Tensor& x, Shape shape, bool may_copy, const char* op) {
  shape = infer_shape(x.shape(), std::move(shape), op);
  std::optional<Shape> strides = view_strides(x.shape(), x.strides(), shape);
  HEED_CHECK(strides || may_copy, op,
             "a tensor of shape {} with strides {} cannot be viewed as {} without copying; use "
             "reshape() (which copies) or contiguous() first", x.shape(), x.strides(), shape);
  Tensor out = strides ? make_view(x, shape, *strides, x.offset())
                       : make_view(contiguous_copy(x), shape, contiguous_strides(shape), 0);
  // dx = g reshaped back to x's shape
  record(op, out, {x}, [input_shape = x.shape()](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{reshape(g, input_shape)};
  });
  return out;
}

// A zero tensor of `shape` with g written into the slice (dim, start, length, step).
Tensor unslice(const Tensor& g, const Shape& shape, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Tensor grad = zeros(shape);
  copy_into(slice_view(grad, dim, start, length, step), g);
  return grad;
}

// x without its size-1 dims; only without `dim` when one is given.
Tensor squeezed(const Tensor& x, std::optional<int64_t> dim) {
  Shape shape, strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (x.shape()[d] != 1 || (dim && d != *dim)) {
      shape.push_back(x.shape()[d]);
      strides.push_back(x.strides()[d]);
    }
  Tensor out = make_view(x, std::move(shape), std::move(strides), x.offset());
  // dx = g with the size-1 dims put back
  record("squeeze", out, {x}, [input_shape = x.shape()](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{reshape(g, input_shape)};
  });
  return out;
}

}  // namespace

// ---- views ----

Tensor reshape(const Tensor& x, Shape shape) { return reshaped(x, std::move(shape), true, "reshape"); }

Tensor view(const Tensor& x, Shape shape) { return reshaped(x, std::move(shape), false, "view"); }

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  int64_t d0 = wrap_dim(dim0, x.dim(), "transpose"), d1 = wrap_dim(dim1, x.dim(), "transpose");
  Shape shape = x.shape(), strides = x.strides();
  if (d0 != d1) {
    std::swap(shape[d0], shape[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  Tensor out = make_view(x, std::move(shape), std::move(strides), x.offset());
  // dx = g with the two dims swapped back
  record("transpose", out, {x}, [d0, d1](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{transpose(g, d0, d1)};
  });
  return out;
}

Tensor permute(const Tensor& x, std::vector<int64_t> dims) {
  HEED_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), "permute",
             "dims {} for a tensor of shape {}; expected one entry per dim ({})", dims, x.shape(), x.dim());
  std::vector<int64_t> inverse(dims.size(), -1);  // inverse[input dim] = output dim
  Shape shape(dims.size()), strides(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    HEED_CHECK(inverse[d] == -1, "permute", "dims {} name dim {} twice; expected a permutation of the dims of shape {}",
               dims, d, x.shape());
    inverse[d] = static_cast<int64_t>(i);
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor out = make_view(x, std::move(shape), std::move(strides), x.offset());
  // dx = g permuted by the inverse permutation
  record("permute", out, {x}, [inverse](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{permute(g, inverse)};
  });
  return out;
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  dim = existing_dim(x, dim, "slice");
  HEED_CHECK(step >= 1, "slice", "step {} along dim {} of shape {}; expected step >= 1", step, dim, x.shape());
  const int64_t size = x.size(dim);
  auto clamp = [size](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  const int64_t length = end > start ? (end - start - 1) / step + 1 : 0;
  Tensor out = slice_view(x, dim, start, length, step);
  // dx = zeros of x's shape, with g where the slice was taken. When x's gradient sum already
  // exists (a sequence sliced step by step), g is added into its slice instead: no full-size zeros
  // per step.
  record("slice", out, {x}, [shape = x.shape(), dim, start, length, step](const Tensor& g, NeedsGrad needs) {
    if (Tensor* sum = needs.grad_sum(0)) {
      Tensor region = slice_view(*sum, dim, start, length, step);
      add_into(region, g);
      return std::vector<Tensor>{Tensor()};
    }
    return std::vector<Tensor>{unslice(g, shape, dim, start, length, step)};
  });
  return out;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  dim = existing_dim(x, dim, "narrow");
  const int64_t size = x.size(dim);
  HEED_CHECK(start >= 0 && length >= 0 && length <= size - start, "narrow",
             "start {} and length {} along dim {} of shape {}; expected 0 <= start and 0 <= length "
             "and start + length <= {}", start, length, dim, x.shape(), size);
  return slice(x, dim, start, start + length);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  dim = existing_dim(x, dim, "select");
  const int64_t size = x.size(dim);
  HEED_CHECK(index >= -size && index < size, "select", "index {} along dim {} of shape {}; expected it in [{}, {})",
             index, dim, x.shape(), -size, size);
  return squeeze(narrow(x, dim, index < 0 ? index + size : index, 1), dim);  // backward: narrow's and squeeze's
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  Tensor out = unsqueeze_view(x, insertion_dim(dim, x.dim(), "unsqueeze"));
  // dx = g without the new dim
  record("unsqueeze", out, {x}, [input_shape = x.shape()](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{reshape(g, input_shape)};
  });
  return out;
}

Tensor squeeze(const Tensor& x) { return squeezed(x, std::nullopt); }

Tensor squeeze(const Tensor& x, int64_t dim) { return squeezed(x, wrap_dim(dim, x.dim(), "squeeze")); }

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  int64_t first = wrap_dim(start_dim, x.dim(), "flatten"), last = wrap_dim(end_dim, x.dim(), "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  HEED_CHECK(first <= last, "flatten", "start_dim {} comes after end_dim {} for shape {}", start_dim,
             end_dim, x.shape());
  const Shape& in = x.shape();
  Shape shape(in.begin(), in.begin() + first);
  shape.push_back(numel(Shape(in.begin() + first, in.begin() + last + 1)));
  shape.insert(shape.end(), in.begin() + last + 1, in.end());
  return reshape(x, std::move(shape));
}

Tensor expand(const Tensor& x, Shape shape) {
  const Shape requested = shape;
  HEED_CHECK(static_cast<int64_t>(shape.size()) >= x.dim(), "expand",
             "cannot expand {} to {}: fewer dims; expected at least {}", x.shape(), requested, x.dim());
  const size_t lead = shape.size() - x.shape().size();  // new leading dims
  Shape strides(shape.size(), 0);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d < lead) {
      HEED_CHECK(shape[d] >= 0, "expand", "cannot expand {} to {}: new leading dim {} has size {}; "
                 "expected a size >= 0", x.shape(), requested, d, shape[d]);
      continue;
    }
    const int64_t size = x.shape()[d - lead];
    if (shape[d] == -1) shape[d] = size;
    HEED_CHECK(shape[d] >= 0 && (shape[d] == size || size == 1), "expand",
               "cannot expand {} to {}: dim {} has size {}; expected {} (or an input size of 1, which stretches)",
               x.shape(), requested, d, shape[d], size);
    if (shape[d] == size) strides[d] = x.strides()[d - lead];  // else stretched: stride 0
  }
  Tensor out = make_view(x, std::move(shape), std::move(strides), x.offset());
  // dx = g summed over the stretched dims (expand's backward is sum in reverse)
  record("expand", out, {x}, [input_shape = x.shape()](const Tensor& g, NeedsGrad) {
    return std::vector<Tensor>{sum_to(g, input_shape)};
  });
  return out;
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor out = contiguous_copy(x);
  // dx = g (the same elements, laid out densely)
  record("contiguous", out, {x}, [](const Tensor& g, NeedsGrad) { return std::vector<Tensor>{g}; });
  return out;
}

// ---- joining and splitting ----

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  HEED_CHECK(!tensors.empty(), "cat", "no tensors to join; expected at least one");
  const Tensor& first = tensors[0];
  HEED_CHECK(first.defined(), "cat", "tensor 0 is undefined");
  dim = existing_dim(first, dim, "cat");
  std::vector<int64_t> sizes;  // along dim, per input
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    HEED_CHECK(t.defined(), "cat", "tensor {} is undefined", i);
    HEED_CHECK(t.dtype() == first.dtype(), "cat", "tensor {} is {} but tensor 0 is {}; expected one dtype", i,
               dtype_name(t.dtype()), dtype_name(first.dtype()));
    bool fits = t.dim() == first.dim();
    for (int64_t d = 0; fits && d < t.dim(); ++d) fits = d == dim || t.shape()[d] == first.shape()[d];
    HEED_CHECK(fits, "cat", "tensor {} has shape {} but tensor 0 has shape {}; expected equal sizes in "
               "every dim but dim {}", i, t.shape(), first.shape(), dim);
    sizes.push_back(t.size(dim));
  }
  Tensor out = concatenate(tensors, dim);
  // dx_i = the slice of g that x_i was copied into (a view: no copy)
  record("cat", out, tensors, [dim, sizes](const Tensor& g, NeedsGrad needs) {
    std::vector<Tensor> grads(sizes.size());
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (needs[i]) grads[i] = slice_view(g, dim, start, sizes[i], 1);
      start += sizes[i];
    }
    return grads;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  HEED_CHECK(!tensors.empty(), "stack", "no tensors to join; expected at least one");
  const Tensor& first = tensors[0];
  HEED_CHECK(first.defined(), "stack", "tensor 0 is undefined");
  dim = insertion_dim(dim, first.dim(), "stack");
  std::vector<Tensor> pieces;  // each input with a size-1 dim at `dim`, to concatenate
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    HEED_CHECK(t.defined(), "stack", "tensor {} is undefined", i);
    HEED_CHECK(t.shape() == first.shape() && t.dtype() == first.dtype(), "stack",
               "tensor {} is {} of shape {} but tensor 0 is {} of shape {}; expected one shape and dtype",
               i, dtype_name(t.dtype()), t.shape(), dtype_name(first.dtype()), first.shape());
    pieces.push_back(unsqueeze_view(t, dim));
  }
  Tensor out = concatenate(pieces, dim);
  // dx_i = g's entry i along the new dim (a view: no copy)
  record("stack", out, tensors, [dim, count = tensors.size()](const Tensor& g, NeedsGrad needs) {
    std::vector<Tensor> grads(count);
    for (size_t i = 0; i < count; ++i)
      if (needs[i]) grads[i] = select_view(g, dim, static_cast<int64_t>(i));
    return grads;
  });
  return out;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  dim = existing_dim(x, dim, "split");
  const int64_t size = x.size(dim);
  HEED_CHECK(split_size >= 1 || (split_size == 0 && size == 0), "split",
             "split_size {} along dim {} of shape {}; expected split_size >= 1", split_size, dim, x.shape());
  std::vector<Tensor> pieces;
  int64_t start = 0;
  do {  // an empty dim still gives one (empty) piece, as in PyTorch
    int64_t length = std::min(split_size, size - start);
    pieces.push_back(narrow(x, dim, start, length));
    start += length;
  } while (start < size);
  return pieces;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  dim = existing_dim(x, dim, "chunk");
  HEED_CHECK(chunks >= 1, "chunk", "{} chunks of shape {}; expected at least 1", chunks, x.shape());
  const int64_t size = x.size(dim);
  if (size == 0) {  // PyTorch gives `chunks` empty pieces
    std::vector<Tensor> pieces;
    for (int64_t i = 0; i < chunks; ++i) pieces.push_back(narrow(x, dim, 0, 0));
    return pieces;
  }
  return split(x, (size + chunks - 1) / chunks, dim);
}

}  // namespace heed::ops
