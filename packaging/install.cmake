# sendpool's install rules for everything that is not a program (the programs' own
# CMakeLists.txt install them to sbin): configuration, man pages, systemd units, sysusers.d
# and tmpfiles.d entries, documentation. One set of rules for `cmake --install` and for both
# packages (packaging/cpack.cmake). Configure with -DCMAKE_INSTALL_PREFIX=/usr for packages
# (scripts/package does): the configuration then goes to /etc, everything else below /usr.

find_program(SENDPOOL_GZIP gzip REQUIRED)

# sendpool_gzip(OUT_VAR SOURCE NAME): NAME.gz in the build tree, made with `gzip -9n` (no
# name or time stamp: reproducible, as Debian policy asks for man pages and changelogs).
function(sendpool_gzip out source name)
  set(gz "${CMAKE_CURRENT_BINARY_DIR}/packaging/${name}.gz")
  add_custom_command(OUTPUT "${gz}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_CURRENT_BINARY_DIR}/packaging"
    COMMAND ${SENDPOOL_GZIP} -9nc "${source}" > "${gz}"
    DEPENDS "${source}"
    COMMENT "Compressing ${name}"
    VERBATIM)
  set(${out} "${gz}" PARENT_SCOPE)
endfunction()

# Man pages of the programs this build installs (a page waits in man/ until its program
# exists).
set(sendpool_man_gz)
foreach(page sendpool-milter.8 sendpool-policyd.8 sendpool-feedback.8 sendpool-outcomes.8
        sendpoolctl.8 sendpool.yaml.5)
  string(REGEX REPLACE "\\.[0-9]$" "" program "${page}")
  if(program STREQUAL "sendpool.yaml" OR TARGET "${program}")
    sendpool_gzip(gz "${CMAKE_CURRENT_SOURCE_DIR}/man/${page}" "${page}")
    string(REGEX REPLACE "^.*\\." "" section "${page}")
    install(FILES "${gz}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}")
    list(APPEND sendpool_man_gz "${gz}")
  endif()
endforeach()

set(SENDPOOL_MAINTAINER "sendpool maintainers <sendpool@example.org>")
configure_file(packaging/changelog.in "${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog" @ONLY)
sendpool_gzip(sendpool_changelog_gz "${CMAKE_CURRENT_BINARY_DIR}/packaging/changelog" changelog)
add_custom_target(sendpool_docs ALL DEPENDS ${sendpool_man_gz} "${sendpool_changelog_gz}")

# The configuration: a conffile of the packages (packaging/cpack.cmake says so).
install(FILES etc/sendpool.yaml DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/sendpool")

# systemd: /usr/lib/systemd/system for Debian (lintian's canonical place) and RPM alike; the
# unit of each daemon this build installs. SENDPOOL_UNITS also goes into the maintainer
# scripts (packaging/cpack.cmake).
set(SENDPOOL_UNITS)
foreach(daemon sendpool-milter sendpool-policyd sendpool-outcomes)
  if(TARGET "${daemon}")
    install(FILES "packaging/systemd/${daemon}.service" DESTINATION lib/systemd/system)
    list(APPEND SENDPOOL_UNITS "${daemon}.service")
  endif()
endforeach()
list(JOIN SENDPOOL_UNITS " " SENDPOOL_UNITS)
install(FILES packaging/sendpool.sysusers DESTINATION lib/sysusers.d RENAME sendpool.conf)
install(FILES packaging/sendpool.tmpfiles DESTINATION lib/tmpfiles.d RENAME sendpool.conf)

# Documentation, with the Postfix lines to paste.
set(sendpool_docdir "${CMAKE_INSTALL_DATAROOTDIR}/doc/sendpool")
install(FILES README.md packaging/copyright "${sendpool_changelog_gz}"
  DESTINATION "${sendpool_docdir}")
install(FILES packaging/README.md DESTINATION "${sendpool_docdir}" RENAME README.packaging.md)
install(FILES etc/postfix/main.cf.sendpool etc/postfix/master.cf.sendpool
  DESTINATION "${sendpool_docdir}/postfix")
