# SPDX-License-Identifier: MIT
# scripts/check-layout.py over the whole tree: no file over 450 lines, no function over 80,
# unless it says why (issue 12).
find_program(CHIPMUNK_PYTHON3 python3)
if(CHIPMUNK_PYTHON3)
  add_test(NAME layout.sizes
           COMMAND ${CHIPMUNK_PYTHON3} ${CMAKE_SOURCE_DIR}/scripts/check-layout.py
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(layout.sizes PROPERTIES LABELS layout SKIP_RETURN_CODE 77)

  # The checker itself, on files it writes to a temporary directory: a long function fails,
  # short ones pass, and the layouts it once measured wrong are measured right.
  add_test(NAME layout.check_layout_selftest
           COMMAND ${CHIPMUNK_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_layout_selftest.py
                   ${CMAKE_SOURCE_DIR}/scripts/check-layout.py)
  set_tests_properties(layout.check_layout_selftest PROPERTIES LABELS layout TIMEOUT 60)
endif()
