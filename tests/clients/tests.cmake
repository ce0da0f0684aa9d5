# SPDX-License-Identifier: MIT
# Real third-party clients and tools against chipmunk-api (they run in network namespaces
# of their own; see each script).
add_test(NAME clients.real_dyndns2_clients
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/clients/real_clients.sh $<TARGET_FILE:chipmunk-api>)
set_tests_properties(clients.real_dyndns2_clients PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)

add_test(NAME clients.nft_allow_hook
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/clients/nft_hook.sh $<TARGET_FILE:chipmunk-api>
          ${CMAKE_SOURCE_DIR})
set_tests_properties(clients.nft_allow_hook PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

add_test(NAME clients.yellow_pages_chromium
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/clients/yellow_pages_chromium.sh
          $<TARGET_FILE:chipmunk-api> ${CMAKE_BINARY_DIR}/test-artifacts)
set_tests_properties(clients.yellow_pages_chromium PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)

add_test(NAME clients.csrf_chromium
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/clients/csrf_chromium.sh $<TARGET_FILE:chipmunk-api>)
set_tests_properties(clients.csrf_chromium PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
