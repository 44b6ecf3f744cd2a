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

// Whether entry `index` of a dim of `size` entries is printed: every entry, or in a summarised
// printout only the first and last kEdgeItems.
bool shown(int64_t index, int64_t size, bool summarise) {
  return !summarise || size <= 2 * kEdgeItems || index < kEdgeItems || index >= size - kEdgeItems;
}

// The row-major positions of the elements a printout shows. PyTorch takes the number style and
// the column width from these alone, and a huge tensor's hidden elements are never formatted.
std::vector<int64_t> shown_positions(const Shape& shape, bool summarise) {
  std::vector<int64_t> positions{0};
  const Shape strides = contiguous_strides(shape);
  for (size_t d = 0; d < shape.size(); ++d) {
    std::vector<int64_t> longer;
    for (int64_t base : positions)
      for (int64_t i = 0; i < shape[d]; ++i)
        if (shown(i, shape[d], summarise)) longer.push_back(base + i * strides[d]);
    positions = std::move(longer);
  }
  return positions;
}

// Every shown element of `dense` as text, in row-major order.
std::vector<std::string> format_cells(const Tensor& dense, const std::vector<int64_t>& positions) {
  std::vector<std::string> cells;
  cells.reserve(positions.size());
  if (dense.dtype() == Dtype::Float32) {
    std::vector<float> values;
    for (int64_t p : positions) values.push_back(dense.data<float>()[p]);
    const FloatStyle style = choose_style(values);
    for (float v : values) cells.push_back(format_float(v, style));
  } else {
    for (int64_t p : positions) cells.push_back(fmt::format("{}", dense.data<int64_t>()[p]));
  }
  return cells;
}

struct Printer {
  const Shape& shape;
  bool summarise;
  std::vector<std::string> cells;  // the shown elements, row-major, written in that order
  size_t width = 0;                // of the widest cell: every cell is right-aligned to it
  size_t next_cell = 0;
  std::string out;

  // What goes between two entries of dim `dim`: ", " between numbers; between blocks a comma, one
  // line break per dim below (a blank line between matrices), and the indent of the next block.
  void separate(size_t dim, size_t indent) {
    const size_t dims_below = shape.size() - dim - 1;
    if (dims_below == 0)
      out += ", ";
    else
      out.append(1, ',').append(dims_below, '\n').append(indent + 1, ' ');
  }

  // Writes dims [dim, ndim) of the next block; `indent` aligns rows. A summarised dim shows "..."
  // as one entry between its first and last entries, as PyTorch does: "[0, 1, 2, ..., 7, 8, 9]",
  // and between blocks "],\n ...,\n [".
  void write(size_t dim, size_t indent) {
    if (dim == shape.size()) {
      const std::string& cell = cells[next_cell++];
      out += std::string(width - cell.size(), ' ') + cell;
      return;
    }
    out += '[';
    for (int64_t i = 0; i < shape[dim]; ++i) {
      if (!shown(i, shape[dim], summarise)) {
        if (i == kEdgeItems) {
          separate(dim, indent);
          const bool among_numbers = dim + 1 == shape.size();  // then aligned like a number
          out += std::string(among_numbers && width > 3 ? width - 3 : 0, ' ') + "...";
        }
        continue;
      }
      if (i > 0) separate(dim, indent);
      write(dim + 1, indent + 1);
    }
    out += ']';
  }
};

}  // namespace

std::string to_string(const Tensor& tensor) {
  if (!tensor.defined()) return "tensor(undefined)";
  const Tensor dense = contiguous_copy(tensor);
  const bool summarise = dense.numel() > kSummariseAbove;
  Printer printer{.shape = dense.shape(), .summarise = summarise,
                  .cells = format_cells(dense, shown_positions(dense.shape(), summarise)), .out = "tensor("};
  for (const std::string& cell : printer.cells) printer.width = std::max(printer.width, cell.size());
  if (dense.numel() == 0)
    printer.out += fmt::format("[], size={}", dense.shape());
  else
    printer.write(0, std::string("tensor(").size());
  if (tensor.grad_fn())
    printer.out += fmt::format(", grad_fn=<{}>", tensor.grad_fn()->op);
  else if (tensor.requires_grad())
    printer.out += ", requires_grad=true";
  if (tensor.dtype() == Dtype::Int64 && tensor.numel() == 0) printer.out += ", dtype=int64";
  return printer.out + ")";
}

}  // namespace heed
