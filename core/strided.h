// Walking N tensors of one shape whose strides differ (transposed, sliced or broadcast views).
//
// for_each_run visits the index space in row-major order and hands `body` runs along the innermost
// dimension: body(offsets, count, steps) where offsets[k] is operand k's element offset at the run's
// start and steps[k] its stride along the run. Dimensions that are laid out back to back in every
// operand are merged first, so dense tensors become one long run and kernels see plain loops.
// The runs are split across threads by element count.
#pragma once

#include <array>
#include <cstdint>

#include "heed/core/parallel.h"
#include "heed/core/shape.h"

namespace heed {

template <size_t N>
struct StridedLayout {
  Shape shape;
  std::array<Shape, N> strides;
};

// Drops size-1 dims and merges dim d into d+1 when, for every operand, stride[d] equals
// stride[d+1] * size[d+1]. The visiting order is unchanged.
template <size_t N>
StridedLayout<N> coalesce(const Shape& shape, const std::array<Shape, N>& strides) {
  StridedLayout<N> out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool mergeable = !out.shape.empty();
    for (size_t k = 0; k < N && mergeable; ++k)
      mergeable = out.strides[k].back() == strides[k][d] * shape[d];
    if (mergeable) {
      out.shape.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) out.strides[k].back() = strides[k][d];
    } else {
      out.shape.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) out.strides[k].push_back(strides[k][d]);
    }
  }
  if (out.shape.empty()) {  // a single element
    out.shape.push_back(1);
    for (size_t k = 0; k < N; ++k) out.strides[k].push_back(0);
  }
  return out;
}

template <size_t N, class Body>
void for_each_run(const Shape& shape, const std::array<Shape, N>& strides, const Body& body,
                  int64_t grain = kElementwiseGrain) {
  const StridedLayout<N> layout = coalesce(shape, strides);
  const size_t ndim = layout.shape.size();
  const int64_t inner = layout.shape.back();
  std::array<int64_t, N> steps;
  for (size_t k = 0; k < N; ++k) steps[k] = layout.strides[k].back();

  parallel_for(0, numel(layout.shape), grain, [&](int64_t lo, int64_t hi) {
    // Unravel `lo` into a multi-index and the operands' offsets.
    Shape index(ndim);
    std::array<int64_t, N> offsets{};
    for (int64_t rest = lo, d = static_cast<int64_t>(ndim) - 1; d >= 0; --d) {
      index[d] = rest % layout.shape[d];
      rest /= layout.shape[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += index[d] * layout.strides[k][d];
    }
    for (int64_t position = lo; position < hi;) {
      int64_t count = std::min(inner - index[ndim - 1], hi - position);
      body(offsets, count, steps);
      position += count;
      // Advance the multi-index by `count`: the last dim moves, then carries ripple left.
      index[ndim - 1] += count;
      for (size_t k = 0; k < N; ++k) offsets[k] += count * steps[k];
      for (size_t d = ndim - 1; d > 0 && index[d] == layout.shape[d]; --d) {
        index[d] = 0;
        ++index[d - 1];
        for (size_t k = 0; k < N; ++k)
          offsets[k] += layout.strides[k][d - 1] - layout.shape[d] * layout.strides[k][d];
      }
    }
  });
}

}  // namespace heed
