// SPDX-License-Identifier: MIT
// lmx's error policy: what a caller can cause throws a typed exception whose message
// starts with the operation, e.g. "[rms_norm] weight has 4096 elements, input has 2048".
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace lmx {

// Base of every lmx exception.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Shapes that do not fit together.
struct ShapeError : Error {
  using Error::Error;
};
// A dtype the operation does not support, or dtypes that do not fit together.
struct DtypeError : Error {
  using Error::Error;
};
// A bad argument value (axis out of range, negative size, invalid option).
struct ValueError : Error {
  using Error::Error;
};
// A device or backend that is missing or cannot do the operation.
struct DeviceError : Error {
  using Error::Error;
};
// An allocation the device could not satisfy.
struct OutOfMemoryError : Error {
  using Error::Error;
};

// Throws E with "[op] " + the formatted message.
template <typename E = ValueError, typename... Args>
[[noreturn]] void raise(std::string_view op, fmt::format_string<Args...> f, Args&&... args) {
  throw E(fmt::format("[{}] {}", op, fmt::format(f, std::forward<Args>(args)...)));
}

}  // namespace lmx

// Checks a condition and throws E (op-tagged) when it does not hold.
#define LMX_CHECK(cond, E, op, ...) \
  do {                              \
    if (!(cond)) ::lmx::raise<E>(op, __VA_ARGS__); \
  } while (0)
