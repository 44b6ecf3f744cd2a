#include "heed/core/tensor.h"

#include "heed/core/autograd.h"

namespace heed {

Tensor Tensor::empty(const Shape& shape, Dtype dtype) {
  for (int64_t size : shape)
    HEED_CHECK(size >= 0, "empty", "negative size in shape {}", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = make_storage(static_cast<size_t>(heed::numel(shape)) * element_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

const TensorImpl& Tensor::checked_impl() const {
  if (!impl_) throw Error("tensor: this Tensor is undefined (default-constructed or a missing gradient)");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked_impl().shape; }
const Shape& Tensor::strides() const { return checked_impl().strides; }
int64_t Tensor::offset() const { return checked_impl().offset; }
Dtype Tensor::dtype() const { return checked_impl().dtype; }
const Storage& Tensor::storage() const { return checked_impl().storage; }

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  const Shape& sizes = shape();
  const Shape& steps = strides();
  int64_t expected = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    if (sizes[d] != 1 && steps[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

bool Tensor::requires_grad() const { return checked_impl().requires_grad; }

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  const TensorImpl& self = checked_impl();
  HEED_CHECK(self.grad_fn == nullptr, "set_requires_grad",
             "only leaf tensors can be marked; this one was produced by '{}' (use detach() first)",
             self.grad_fn->op);
  HEED_CHECK(!requires_grad || self.dtype == Dtype::Float32, "set_requires_grad",
             "only float32 tensors can require grad; this one is {}", dtype_name(self.dtype));
  impl_->requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const { return checked_impl().grad_fn == nullptr; }

Tensor Tensor::grad() const { return checked_impl().grad; }

void Tensor::set_grad(const Tensor& grad) const {
  HEED_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad",
             "gradient of shape {} for a tensor of shape {}", grad.shape(), shape());
  impl_->grad = grad;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked_impl().grad_fn; }

void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  heed::backward(*this, grad_output, retain_graph);
}

Tensor Tensor::detach() const {
  const TensorImpl& self = checked_impl();
  return make_view(*this, self.shape, self.strides, self.offset);
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

void check_dtype(const Tensor& t, Dtype expected, const char* op, const char* argument) {
  HEED_CHECK(t.defined(), op, "{} is an undefined tensor", argument);
  HEED_CHECK(t.dtype() == expected, op, "{} of shape {} is {}; expected {}", argument, t.shape(),
             dtype_name(t.dtype()), dtype_name(expected));
}

}  // namespace heed
