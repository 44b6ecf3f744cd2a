// Printing tensors the way PyTorch does:
//   tensor([[ 0.5000, -1.2500],
//           [ 2.0000,  3.0000]], requires_grad=true)
// Large tensors are summarised with "..." (the first and last 3 entries of each dim).
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>

#include "heed/core/tensor.h"

namespace heed {

std::string to_string(const Tensor& tensor);

inline std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  return out << to_string(tensor);
}

}  // namespace heed

template <>
struct fmt::formatter<heed::Tensor> : fmt::formatter<std::string> {
  auto format(const heed::Tensor& tensor, fmt::format_context& context) const {
    return fmt::formatter<std::string>::format(heed::to_string(tensor), context);
  }
};
