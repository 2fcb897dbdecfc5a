// What a call throws, as text: tests compare error messages with it.
#pragma once

#include <exception>
#include <string>

namespace ein::test {

/// The what() of the exception `call` throws, or "(no exception)".
template <class F>
std::string message_of(F&& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace ein::test
