# SPDX-License-Identifier: MIT
# Packaging and release checks (issue 18): the version, printed by both programs.
set(CHIPMUNK_VERSION_TEST_API -)
if(TARGET chipmunk-api)
  set(CHIPMUNK_VERSION_TEST_API $<TARGET_FILE:chipmunk-api>)
endif()
add_test(NAME packaging.version
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/version_test.sh ${PROJECT_VERSION}
          ${CMAKE_SOURCE_DIR} ${CHIPMUNK_VERSION_TEST_API} $<TARGET_FILE:chipmunk-updater>)
set_tests_properties(packaging.version PROPERTIES TIMEOUT 60 LABELS packaging)

# The man pages render without a groff or man warning, and their SETTINGS sections are what
# the programs' --help-config print (scripts/update-man-pages.sh rewrites them).
add_test(NAME packaging.man_pages_render
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/man_pages_test.sh ${CMAKE_BINARY_DIR}/man
          ${CMAKE_SOURCE_DIR} ${CHIPMUNK_MAN_PAGES})
add_test(NAME packaging.man_pages_current
  COMMAND bash ${CMAKE_SOURCE_DIR}/scripts/update-man-pages.sh --check ${CHIPMUNK_VERSION_TEST_API}
          $<TARGET_FILE:chipmunk-updater>)
set_tests_properties(packaging.man_pages_render packaging.man_pages_current PROPERTIES
  TIMEOUT 60 LABELS packaging)

# docs/DEPLOY.md and docs/UPDATER.md against what ships (the newcomer's walk of issue 18).
add_test(NAME packaging.deploy_docs
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deploy_docs_test.sh ${CMAKE_SOURCE_DIR}
          ${CHIPMUNK_VERSION_TEST_API} $<TARGET_FILE:chipmunk-updater>)
set_tests_properties(packaging.deploy_docs PROPERTIES TIMEOUT 60 LABELS packaging)

# Every source, script and build file names its licence (SPDX-License-Identifier: MIT).
add_test(NAME packaging.spdx
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/spdx_test.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(packaging.spdx PROPERTIES TIMEOUT 60 LABELS packaging SKIP_RETURN_CODE 77)
