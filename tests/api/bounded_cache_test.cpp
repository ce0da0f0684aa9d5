// SPDX-License-Identifier: MIT
// BoundedCache: the least recently used entry goes first; peek() and replacing an entry do
// not count as a use (the directory cache's re-validation must not reorder it).
#include <catch2/catch.hpp>

#include <string>

#include "api/bounded_cache.hpp"

namespace {
namespace CHIPMUNK_UNITY_ID {  // this file's own names (tests/CMakeLists.txt)

using chipmunk::api::BoundedCache;

TEST_CASE("Unit: the bounded cache evicts the least recently used entry", "[api][unit]") {
  BoundedCache<int> cache(3);
  cache.put("a", 1);
  cache.put("b", 2);
  cache.put("c", 3);
  REQUIRE(cache.find("a") != nullptr);  // a used: b is now the oldest
  cache.put("d", 4);
  CHECK(cache.size() == 3);
  CHECK(cache.find("b") == nullptr);
  CHECK(*cache.find("a") == 1);
  // Peeking at and replacing c does not save it: it is still the oldest.
  REQUIRE(cache.peek("c") != nullptr);
  cache.put("c", 30);
  CHECK(*cache.peek("c") == 30);
  cache.put("e", 5);
  CHECK(cache.peek("c") == nullptr);
  CHECK(cache.keys() == std::vector<std::string>{"e", "a", "d"});
  cache.erase("a");
  CHECK(cache.size() == 2);
  CHECK(cache.find("a") == nullptr);
}

}  // namespace CHIPMUNK_UNITY_ID
}  // namespace
