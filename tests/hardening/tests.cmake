# chipmunk-api under valgrind memcheck: a short session, no memory errors, no leaks.
find_program(CHIPMUNK_VALGRIND valgrind)
find_program(CHIPMUNK_CURL curl)
if(CHIPMUNK_VALGRIND AND CHIPMUNK_CURL AND NOT CHIPMUNK_SANITIZE)
  add_test(NAME hardening.valgrind_api
           COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/valgrind-api.sh $<TARGET_FILE:chipmunk-api>)
  set_tests_properties(hardening.valgrind_api PROPERTIES TIMEOUT 180 LABELS "valgrind;hardening")
endif()
