// Tensor: a typed, strided view of a Storage, plus what autograd needs to know about it.
//
//   storage  the refcounted memory (shared by every view of it)
//   shape    sizes per dim, e.g. [B, T, C]
//   strides  elements to step per dim; a dense row-major [B, T, C] has strides [T*C, C, 1]
//   offset   index of element (0, ..., 0) within the storage, in elements
//
// A Tensor is a cheap handle (a shared_ptr to its TensorImpl): copying one shares the data, as in
// PyTorch. Operations on tensors live in ops/; this file knows only the data and its autograd
// bookkeeping. Where to go next: core/autograd.h (how backward runs), ops/elementwise.cpp (an op
// with its backward).
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "heed/core/dtype.h"
#include "heed/core/error.h"
#include "heed/core/shape.h"
#include "heed/core/storage.h"

namespace heed {

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  // undefined: no data (used for "no gradient")
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A new dense tensor with uninitialised contents.
  static Tensor empty(const Shape& shape, Dtype dtype = Dtype::Float32);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t offset() const;
  Dtype dtype() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t numel() const { return heed::numel(shape()); }
  bool is_contiguous() const;  // dense and row-major
  const Storage& storage() const;

  // Pointer to element (0, ..., 0). `mutable_data` counts as an in-place write (version + 1).
  template <class T> const T* data() const;
  template <class T> T* mutable_data() const;

  // The value of a one-element tensor as T (float or int64_t), converted as libtorch's item<T>()
  // converts: an int64 read as float rounds to the nearest float, a float32 read as int64 must be
  // a whole number. Then the value at a multi-dimensional index, in the tensor's own dtype.
  template <class T = float> T item() const;
  template <class T = float> T at(const std::vector<int64_t>& index) const;
  // All elements in row-major order.
  template <class T = float> std::vector<T> to_vector() const;

  // ---- autograd ----
  bool requires_grad() const;
  // Marks a leaf tensor (one made by a factory, not by an op) as a parameter to differentiate.
  Tensor& set_requires_grad(bool requires_grad = true);
  bool is_leaf() const;
  // The gradient accumulated by backward() (undefined until one arrives).
  Tensor grad() const;
  void set_grad(const Tensor& grad) const;
  // The recorded op that produced this tensor; null for leaves.
  const std::shared_ptr<Node>& grad_fn() const;
  // Runs reverse-mode autodiff from this tensor; see heed::backward in core/autograd.h.
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false) const;
  // The same data, cut off from the graph: no grad_fn, requires_grad false.
  Tensor detach() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  const TensorImpl& checked_impl() const;
  // Pointer to element (0, ..., 0) as T; a dtype that is not T's is an error naming `op`.
  template <class T> const T* typed_data(const char* op) const;
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  Storage storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;
  Dtype dtype = Dtype::Float32;

  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // the op that made this tensor (non-leaves only)
  Tensor grad;                    // accumulated gradient (leaves only)
};

// A tensor viewing `base`'s storage with a new shape, strides and offset (no autograd link).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

// Throws naming `op` unless `t` holds `expected` elements.
void check_dtype(const Tensor& t, Dtype expected, const char* op, const char* argument);

// ---- template definitions ----

template <class T>
const T* Tensor::typed_data(const char* op) const {
  const TensorImpl& self = checked_impl();
  HEED_CHECK(self.dtype == dtype_of<T>, op, "the tensor holds {}, asked for {}", dtype_name(self.dtype),
             dtype_name(dtype_of<T>));
  return static_cast<const T*>(self.storage->data()) + self.offset;
}

template <class T>
const T* Tensor::data() const {
  return typed_data<T>("data");
}

template <class T>
T* Tensor::mutable_data() const {
  const T* pointer = data<T>();
  impl_->storage->bump_version();
  return const_cast<T*>(pointer);
}

template <class T>
T Tensor::item() const {
  HEED_CHECK(numel() == 1, "item", "tensor of shape {} has {} elements; expected exactly 1",
             shape(), numel());
  if (dtype() == dtype_of<T>) return *data<T>();
  if (dtype() == Dtype::Int64) return static_cast<T>(*data<int64_t>());
  const float value = *data<float>();
  HEED_CHECK(std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9.2e18f, "item",
             "the float32 value {} is not a whole number; read it with item<float>()", value);
  return static_cast<T>(value);
}

template <class T>
T Tensor::at(const std::vector<int64_t>& index) const {
  HEED_CHECK(static_cast<int64_t>(index.size()) == dim(), "at",
             "index {} has {} entries for a tensor of shape {}", index, index.size(), shape());
  int64_t position = 0;
  for (size_t d = 0; d < index.size(); ++d) {
    int64_t i = index[d] < 0 ? index[d] + shape()[d] : index[d];
    HEED_CHECK(i >= 0 && i < shape()[d], "at", "index {} is out of range for shape {}", index,
               shape());
    position += i * strides()[d];
  }
  return typed_data<T>("at")[position];
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(static_cast<size_t>(numel()));
  const T* base = typed_data<T>("to_vector");
  std::vector<int64_t> index(shape().size(), 0);
  for (size_t n = 0; n < out.size(); ++n) {
    int64_t position = 0;
    for (size_t d = 0; d < index.size(); ++d) position += index[d] * strides()[d];
    out[n] = base[position];
    for (size_t d = index.size(); d-- > 0;) {  // odometer increment, last dim fastest
      if (++index[d] < shape()[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace heed
