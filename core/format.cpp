#include "heed/core/format.h"

#include <cmath>
#include <vector>

#include "heed/core/autograd.h"
#include "heed/core/kernels.h"

namespace heed {
namespace {

constexpr int64_t kSummariseAbove = 1000;  // elements
constexpr int64_t kEdgeItems = 3;

// How every float of the tensor is written: PyTorch's rules, simplified.
enum class FloatStyle { Integer, Fixed, Scientific };

FloatStyle choose_style(const std::vector<float>& values) {
  bool all_integer = true;
  float largest = 0, smallest = INFINITY;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    all_integer = all_integer && v == std::nearbyint(v);
    float magnitude = std::fabs(v);
    largest = std::max(largest, magnitude);
    if (magnitude > 0) smallest = std::min(smallest, magnitude);
  }
  if (all_integer && largest < 1e8f) return FloatStyle::Integer;
  if (largest >= 1e8f || smallest < 1e-4f || (smallest > 0 && largest / smallest > 1e3f))
    return FloatStyle::Scientific;
  return FloatStyle::Fixed;
}

std::string format_float(float v, FloatStyle style) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  switch (style) {
    case FloatStyle::Integer: return fmt::format("{:.0f}.", v);
    case FloatStyle::Fixed: return fmt::format("{:.4f}", v);
    case FloatStyle::Scientific: return fmt::format("{:.4e}", v);
  }
  return "";
}

struct Printer {
  const Tensor& dense;  // contiguous
  bool summarise;
  std::vector<std::string> cells;  // formatted elements, row-major
  size_t width = 0;
  std::string out;

  bool shown(int64_t index, int64_t size) const {
    return !summarise || size <= 2 * kEdgeItems || index < kEdgeItems || index >= size - kEdgeItems;
  }

  // Writes dims [dim, ndim) of the block starting at element `offset`; `indent` aligns rows.
  void write(size_t dim, int64_t offset, size_t indent) {
    const Shape& shape = dense.shape();
    if (dim == shape.size()) {
      const std::string& cell = cells[static_cast<size_t>(offset)];
      out += std::string(width - cell.size(), ' ') + cell;
      return;
    }
    int64_t size = shape[dim], step = contiguous_strides(shape)[dim];
    out += '[';
    bool first = true;
    for (int64_t i = 0; i < size; ++i) {
      if (!shown(i, size)) {
        if (i == kEdgeItems) {
          out += ", ...";
          if (dim + 1 < shape.size()) out.append(1, '\n').append(indent + 1, ' ');
        }
        continue;
      }
      if (!first) {
        if (dim + 1 == shape.size())
          out += ", ";
        else
          out.append(1, ',').append(shape.size() - dim - 1, '\n').append(indent + 1, ' ');
      }
      first = false;
      write(dim + 1, offset + i * step, indent + 1);
    }
    out += ']';
  }
};

}  // namespace

std::string to_string(const Tensor& tensor) {
  if (!tensor.defined()) return "tensor(undefined)";
  Tensor dense = contiguous_copy(tensor);
  std::vector<std::string> cells(static_cast<size_t>(dense.numel()));
  if (dense.dtype() == Dtype::Float32) {
    std::vector<float> values = dense.to_vector<float>();
    FloatStyle style = choose_style(values);
    for (size_t i = 0; i < values.size(); ++i) cells[i] = format_float(values[i], style);
  } else {
    std::vector<int64_t> values = dense.to_vector<int64_t>();
    for (size_t i = 0; i < values.size(); ++i) cells[i] = fmt::format("{}", values[i]);
  }
  Printer printer{dense, dense.numel() > kSummariseAbove, std::move(cells), 0, ""};
  for (const std::string& cell : printer.cells) printer.width = std::max(printer.width, cell.size());
  printer.out = "tensor(";
  if (dense.numel() == 0)
    printer.out += fmt::format("[], size={}", dense.shape());
  else
    printer.write(0, 0, std::string("tensor(").size());
  if (tensor.grad_fn())
    printer.out += fmt::format(", grad_fn=<{}>", tensor.grad_fn()->op);
  else if (tensor.requires_grad())
    printer.out += ", requires_grad=true";
  if (tensor.dtype() == Dtype::Int64 && tensor.numel() == 0) printer.out += ", dtype=int64";
  return printer.out + ")";
}

}  // namespace heed
