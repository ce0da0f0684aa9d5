# SPDX-License-Identifier: MIT
# chipmunk-updater's link footprint (tests/updater/linkage_test.sh): the release build keeps
# the C++ runtime, spdlog, fmt, libcurl and libldns out of the process at start. Sanitizer
# and fuzz builds link the shared C++ runtime on purpose (updater/CMakeLists.txt).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT CHIPMUNK_SANITIZE AND NOT CHIPMUNK_FUZZ)
  add_test(NAME updater.linkage
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/updater/linkage_test.sh
                   $<TARGET_FILE:chipmunk-updater>)
  set_tests_properties(updater.linkage PROPERTIES TIMEOUT 30 LABELS updater)
endif()
