# Packaging and release checks (issue 18): the version, printed by both programs.
set(CHIPMUNK_VERSION_TEST_API -)
if(TARGET chipmunk-api)
  set(CHIPMUNK_VERSION_TEST_API $<TARGET_FILE:chipmunk-api>)
endif()
add_test(NAME packaging.version
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/version_test.sh ${PROJECT_VERSION}
          ${CMAKE_SOURCE_DIR} ${CHIPMUNK_VERSION_TEST_API} $<TARGET_FILE:chipmunk-updater>)
set_tests_properties(packaging.version PROPERTIES TIMEOUT 60 LABELS packaging)
