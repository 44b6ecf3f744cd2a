// Comparisons with a scalar and nonzero counts: plain loops over contiguous data, no autograd.
#include "heed/ops/compare.h"

#include "heed/core/error.h"
#include "heed/core/factories.h"
#include "heed/core/kernels.h"
#include "heed/core/shape.h"

namespace heed::ops {
namespace {

// x's entries as doubles, in row-major order.
template <class T>
std::vector<double> as_doubles(const Tensor& contiguous) {
  const T* in = contiguous.data<T>();
  return std::vector<double>(in, in + contiguous.numel());
}

std::vector<double> values_of(const Tensor& x, const char* op) {
  HEED_CHECK(x.defined(), op, "the input is undefined");
  Tensor c = dense(x);
  return x.dtype() == Dtype::Float32 ? as_doubles<float>(c) : as_doubles<int64_t>(c);
}

template <class Predicate>
Tensor compare(const Tensor& x, const char* op, Predicate keep) {
  std::vector<double> values = values_of(x, op);
  Tensor out = Tensor::empty(x.shape(), Dtype::Int64);
  int64_t* o = out.mutable_data<int64_t>();
  for (size_t i = 0; i < values.size(); ++i) o[i] = keep(values[i]) ? 1 : 0;
  return out;
}

}  // namespace

Tensor eq(const Tensor& x, double value) {
  return compare(x, "eq", [value](double v) { return v == value; });
}

Tensor ne(const Tensor& x, double value) {
  return compare(x, "ne", [value](double v) { return v != value; });
}

Tensor count_nonzero(const Tensor& x, int64_t dim) {
  std::vector<double> values = values_of(x, "count_nonzero");
  dim = wrap_dim(dim, x.dim(), "count_nonzero");
  Shape out_shape = x.shape();
  const int64_t size = out_shape[static_cast<size_t>(dim)];
  out_shape.erase(out_shape.begin() + dim);
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= x.size(d);
  Tensor out = zeros(out_shape, {.dtype = Dtype::Int64});
  int64_t* o = out.mutable_data<int64_t>();
  // Entry (outer, k, inner) of x counts towards output (outer, inner).
  for (size_t i = 0; i < values.size(); ++i) {
    const auto flat = static_cast<int64_t>(i);
    if (values[i] != 0) o[(flat / (size * inner)) * inner + flat % inner] += 1;
  }
  return out;
}

}  // namespace heed::ops
