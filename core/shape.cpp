#include "heed/core/shape.h"

#include "heed/core/error.h"

namespace heed {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t size : shape) n *= size;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

Shape unravel_index(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t lowest = ndim == 0 ? -1 : -ndim, highest = ndim == 0 ? 0 : ndim - 1;
  HEED_CHECK(dim >= lowest && dim <= highest, op,
             "dim {} is out of range for a tensor with {} dims; expected a dim in [{}, {}]", dim,
             ndim, lowest, highest);
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t ndim = std::max(a.size(), b.size());
  Shape out(ndim);
  for (size_t i = 0; i < ndim; ++i) {
    int64_t size_a = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t size_b = i < b.size() ? b[b.size() - 1 - i] : 1;
    HEED_CHECK(size_a == size_b || size_a == 1 || size_b == 1, op,
               "shapes {} and {} cannot be broadcast together (dim {} from the right: {} vs {}); "
               "expected equal sizes or a size of 1",
               a, b, i, size_a, size_b);
    out[ndim - 1 - i] = size_a == 1 ? size_b : size_a;
  }
  return out;
}

Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target) {
  Shape out(target.size(), 0);
  size_t lead = target.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    out[lead + d] = (shape[d] == 1 && target[lead + d] != 1) ? 0 : strides[d];
  return out;
}

}  // namespace heed
