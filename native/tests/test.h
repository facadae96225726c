// Minimal C++ test framework for the engine's ctest binary: TEST_CASE registers a
// function; CHECK/CHECK_NEAR record failures with file:line; main runs them all.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace nwtest {

struct Case {
  const char* name;
  std::function<void()> fn;
};
inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}
inline int& failures() {
  static int n = 0;
  return n;
}
struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};
inline void fail(const char* file, int line, const std::string& what) {
  ++failures();
  std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

}  // namespace nwtest

#define NWT_CONCAT2(a, b) a##b
#define NWT_CONCAT(a, b) NWT_CONCAT2(a, b)
#define TEST_CASE(name)                                                        \
  static void NWT_CONCAT(nwt_case_, __LINE__)();                               \
  static ::nwtest::Registrar NWT_CONCAT(nwt_reg_, __LINE__)(name, NWT_CONCAT(nwt_case_, __LINE__)); \
  static void NWT_CONCAT(nwt_case_, __LINE__)()

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) ::nwtest::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                                  \
  do {                                                                                         \
    double nwt_a = static_cast<double>(a), nwt_b = static_cast<double>(b);                     \
    if (!(std::fabs(nwt_a - nwt_b) <= (tol)))                                                  \
      ::nwtest::fail(__FILE__, __LINE__,                                                       \
                     std::string(#a " = ") + std::to_string(nwt_a) + ", " #b " = " + std::to_string(nwt_b)); \
  } while (0)

#define CHECK_THROWS(expr)                                                     \
  do {                                                                         \
    bool nwt_threw = false;                                                    \
    try {                                                                      \
      (void)(expr);                                                            \
    } catch (...) {                                                            \
      nwt_threw = true;                                                        \
    }                                                                          \
    if (!nwt_threw) ::nwtest::fail(__FILE__, __LINE__, "expected a throw: " #expr); \
  } while (0)
