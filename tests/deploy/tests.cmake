# SPDX-License-Identifier: MIT
# Deployment tests (issue 6): real nginx and Apache in front of chipmunk-api with the
# shipped vhost files, native TLS, the shipped logrotate file under load, and the install
# layout with its systemd units. Each script starts its servers on free loopback ports and
# stops them on exit. The .deb install test changes the machine and is not run by ctest
# (see tests/deploy/deb_install_test.sh).
foreach(t nginx apache native_tls logrotate)
  set(extra)
  if(t STREQUAL "native_tls")
    set(extra $<TARGET_FILE:chipmunk-updater>)  # also runs the shipped updater over https
  endif()
  add_test(NAME deploy_${t}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/deploy/${t}_test.sh $<TARGET_FILE:chipmunk-api>
            ${CMAKE_SOURCE_DIR} ${extra})
  set_tests_properties(deploy_${t} PROPERTIES TIMEOUT 300 LABELS deploy)
endforeach()

add_test(NAME deploy_install_layout
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/deploy/install_layout_test.sh ${CMAKE_BINARY_DIR}
          ${CMAKE_SOURCE_DIR})
set_tests_properties(deploy_install_layout PROPERTIES TIMEOUT 300 LABELS deploy)
