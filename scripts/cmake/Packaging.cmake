# SPDX-License-Identifier: MIT
# Install layout (FHS), also what the Debian packages (debian/) take. Included from the
# top-level CMakeLists.txt after the programs' targets exist.
#
#   <prefix>/bin/chipmunk-api, chipmunk-updater
#   <sysconf>/chipmunk/chipmunk-api.ini, chipmunk-updater.ini    (conffiles in the package)
#   <sysconf>/logrotate.d/chipmunk-api, chipmunk-updater         (conffiles)
#   <prefix>/lib/systemd/system/chipmunk-api.service, chipmunk-updater.service
#   <prefix>/lib/sysusers.d/chipmunk.conf                        (system users)
#   <prefix>/share/doc/chipmunk/                                 README, docs, vhost/, examples/
#   <prefix>/share/man/man8/chipmunk-api.8, chipmunk-updater.8   man pages (docs/man/)
#   <prefix>/share/man/man5/chipmunk-api.ini.5, chipmunk-updater.ini.5
#
# With -DCMAKE_INSTALL_PREFIX=/usr (the packages) <sysconf> is /etc; with the
# default /usr/local it is /usr/local/etc, and the installed units name those paths.
include(GNUInstallDirs)

set(CHIPMUNK_SYSCONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/chipmunk")

# An updater-only build (CHIPMUNK_BUILD_API=OFF) installs the chipmunk-updater files only.
set(CHIPMUNK_PROGRAMS chipmunk-updater)
if(TARGET chipmunk-api)
  list(PREPEND CHIPMUNK_PROGRAMS chipmunk-api)
endif()
install(TARGETS ${CHIPMUNK_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Production configurations (not config/chipmunk-api.ini: that one has a demo user).
foreach(program ${CHIPMUNK_PROGRAMS})
  install(FILES scripts/etc/${program}.ini DESTINATION ${CHIPMUNK_SYSCONF_DIR}
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  install(FILES scripts/logrotate/${program}
    DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d)
endforeach()

# The units name /usr/bin, /etc/chipmunk and /usr/share/doc/chipmunk; installed copies
# name the configured paths instead.
foreach(program ${CHIPMUNK_PROGRAMS})
  set(unit ${program}.service)
  set(unit_src ${CMAKE_SOURCE_DIR}/scripts/systemd/${unit})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${unit_src})
  file(READ ${unit_src} unit_text)
  string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_FULL_BINDIR}/" unit_text "${unit_text}")
  string(REPLACE "/etc/chipmunk/" "${CHIPMUNK_SYSCONF_DIR}/" unit_text "${unit_text}")
  string(REPLACE "/usr/share/doc/chipmunk/" "${CMAKE_INSTALL_FULL_DOCDIR}/" unit_text
    "${unit_text}")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/packaging/${unit} CONTENT "${unit_text}")
  install(FILES ${CMAKE_BINARY_DIR}/packaging/${unit} DESTINATION lib/systemd/system)
  # The unit's LoadCredential= directory: it must exist for the service to start.
  string(REPLACE "chipmunk-" "" short ${program})
  install(DIRECTORY DESTINATION ${CHIPMUNK_SYSCONF_DIR}/credentials/${short}
    DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
endforeach()
install(FILES scripts/systemd/chipmunk.sysusers DESTINATION lib/sysusers.d
  RENAME chipmunk.conf)

# Man pages (docs/man/): <program>(8) and <program>.ini(5), with the version and the
# installed paths filled in. Their SETTINGS sections come from --help-config
# (scripts/update-man-pages.sh; ctest packaging.man_pages_current checks them).
set(CHIPMUNK_MAN_PAGES)
foreach(program ${CHIPMUNK_PROGRAMS})
  foreach(page ${program}.8 ${program}.ini.5)
    configure_file(docs/man/${page} ${CMAKE_BINARY_DIR}/man/${page} @ONLY)
    string(REGEX MATCH "[0-9]$" section "${page}")
    install(FILES ${CMAKE_BINARY_DIR}/man/${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
    list(APPEND CHIPMUNK_MAN_PAGES ${page})
  endforeach()
endforeach()

install(FILES README.md CHANGELOG.md LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB CHIPMUNK_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CHIPMUNK_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES vhost/chipmunk.vhost.sample DESTINATION ${CMAKE_INSTALL_DOCDIR}/vhost)
install(FILES vhost/nginx/chipmunk.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/vhost/nginx)
install(FILES vhost/apache/chipmunk.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/vhost/apache)
install(FILES config/chipmunkapi.ini config/sample-cmclient.ini config/chipmunk-updater.ini
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# The Debian packages chipmunk-api and chipmunk-updater are built from debian/ with
# dpkg-buildpackage (scripts/build-deb.sh); they take these install rules.
