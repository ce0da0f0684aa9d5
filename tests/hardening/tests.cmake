# SPDX-License-Identifier: MIT
# chipmunk-api under valgrind memcheck: a short session, no memory errors, no leaks.
find_program(CHIPMUNK_VALGRIND valgrind)
find_program(CHIPMUNK_CURL curl)
if(CHIPMUNK_VALGRIND AND CHIPMUNK_CURL AND NOT CHIPMUNK_SANITIZE)
  add_test(NAME hardening.valgrind_api
           COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/valgrind-api.sh $<TARGET_FILE:chipmunk-api>)
  set_tests_properties(hardening.valgrind_api PROPERTIES TIMEOUT 180 LABELS "valgrind;hardening")
endif()

# docs/SECURITY.md names, for each class of hostile input, the tests that prove its guard:
# each name must be a test of the suite.
find_program(CHIPMUNK_PYTHON3 python3)
if(CHIPMUNK_PYTHON3)
  add_test(NAME hardening.security_doc_names
           COMMAND ${CHIPMUNK_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/hardening/security_doc_test.py
                   ${CMAKE_SOURCE_DIR}/docs/SECURITY.md $<TARGET_FILE:chipmunk_tests>)
  set_tests_properties(hardening.security_doc_names PROPERTIES LABELS "hardening")
endif()
