// heed::Error and HEED_CHECK: the one way heed reports bad input.
//
// Every message names the op, the shapes involved and what was expected, e.g.
//   "matmul: inner dimensions differ: a is [2, 3], b is [4, 5]; expected a.size(-1) == b.size(-2)"
// so a user can fix the call without reading heed's source.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdexcept>
#include <string>

namespace heed {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ~Error() = default;

  // Throws a copy of this error, of its own type, its message prefixed with `context`: a handler
  // adds where it happened without turning a subclass (such as AnomalyError) into a plain Error.
  // Every subclass overrides it with the same line.
  [[noreturn]] virtual void rethrow_with_context(const std::string& context) const { throw Error(context + what()); }
};

}  // namespace heed

// HEED_CHECK(condition, "op", "format {}", args...) throws heed::Error("op: format ...").
#define HEED_CHECK(condition, op, ...)                                                   \
  do {                                                                                   \
    if (!(condition)) [[unlikely]]                                                       \
      throw ::heed::Error(std::string(op) + ": " + fmt::format(__VA_ARGS__));            \
  } while (false)
