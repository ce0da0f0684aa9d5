# Install layout (FHS) and the Debian package (CPack DEB). Included from the top-level
# CMakeLists.txt after the programs' targets exist.
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
# With -DCMAKE_INSTALL_PREFIX=/usr (scripts/build-deb.sh) <sysconf> is /etc; with the
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

# ---- Debian package: cpack -G DEB in a build configured with CMAKE_INSTALL_PREFIX=/usr
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME chipmunk)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Chipmunk")
set(CPACK_PACKAGE_CONTACT "Chipmunk maintainers <maintainers@users.noreply.b-seed-4d30f9e3.example>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-hosted dynamic-IP service: REST API and DNS updater")
# CPack puts the summary first and indents these lines itself; an empty line becomes " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "chipmunk-api tells HTTP clients their public IP address (/get/ip,
/get/ip.json) and remembers it per user (/set), behind HTTP Basic auth; a
drop-in successor of the original Python Chipmunk server. chipmunk-updater
discovers this machine's public address and keeps DNS records at providers
current.

Includes hardened systemd units, logrotate configurations and tested nginx
and Apache TLS reverse-proxy sites (in /usr/share/doc/chipmunk/vhost).")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Library dependencies from the binaries (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcurl (providers/http_client.cpp) and libldns (providers/rfc2136.cpp) are loaded with
# dlopen(), which dpkg-shlibdeps cannot see: name them here.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libcurl4, libldns3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd, logrotate")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx | apache2, certbot")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

# Everything under /etc is a conffile: dpkg keeps the admin's edits on upgrade.
set(CHIPMUNK_CONFFILES
  "${CHIPMUNK_SYSCONF_DIR}/chipmunk-api.ini\n${CHIPMUNK_SYSCONF_DIR}/chipmunk-updater.ini\n"
  "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d/chipmunk-api\n"
  "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d/chipmunk-updater\n")
string(CONCAT CHIPMUNK_CONFFILES ${CHIPMUNK_CONFFILES})
file(WRITE ${CMAKE_BINARY_DIR}/packaging/debian/conffiles "${CHIPMUNK_CONFFILES}")
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_SOURCE_DIR}/scripts/debian/${script}
    ${CMAKE_BINARY_DIR}/packaging/debian/${script} COPYONLY)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/packaging/debian/conffiles
  ${CMAKE_BINARY_DIR}/packaging/debian/postinst
  ${CMAKE_BINARY_DIR}/packaging/debian/prerm
  ${CMAKE_BINARY_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
