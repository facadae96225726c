// ctest entry: runs every TEST_CASE (or those whose name contains argv[1]).
#include <cstring>

#include "test.h"

int main(int argc, char** argv) {
  int passed = 0, failed = 0;
  for (auto& c : nwtest::registry()) {
    if (argc > 1 && std::strstr(c.name, argv[1]) == nullptr) continue;
    int before = nwtest::failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      nwtest::fail(__FILE__, __LINE__, std::string(c.name) + ": uncaught exception: " + e.what());
    }
    bool ok = nwtest::failures() == before;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", c.name);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
