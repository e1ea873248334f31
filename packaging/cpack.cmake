# sendpool's packages: a .deb and an .rpm from the same install rules (packaging/install.cmake
# and the programs' install(TARGETS)), with CPack. Why CPack: packaging/README.md.
#   cmake -S . -B build-pkg -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-pkg && (cd build-pkg && cpack -G "DEB;RPM")     (or: scripts/package)
# The version is the VERSION file's (PROJECT_VERSION); the maintainer scripts are made here
# from packaging/{deb,rpm}/ and the steps they share, packaging/maintainer/common.sh.

if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "sendpool: packages need -DCMAKE_INSTALL_PREFIX=/usr (now ${CMAKE_INSTALL_PREFIX})")
endif()

set(CPACK_PACKAGE_NAME sendpool)
set(CPACK_PACKAGE_VENDOR "sendpool")
set(CPACK_PACKAGE_CONTACT "${SENDPOOL_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "sending side of an email delivery service, on top of Postfix")
set(CPACK_PACKAGE_DESCRIPTION
  "sendpool turns a Postfix server into the sending side of an email delivery
service. Customers' applications send through SMTP AUTH accounts; sendpool
decides which domains each account may send as, how much it may send (monthly
allowances and prepaid packages), which recipients are suppressed, and from
which IP pool each account's mail leaves, and signs every message twice with
DKIM (the customer's domain and the platform's).
.
This package holds sendpool-milter (authorisation, suppression, return path,
DKIM signing), sendpool-policyd (quotas, pool routing and SMTP AUTH for
Postfix), sendpool-feedback (bounces, complaints and unsubscribes by mail),
sendpool-outcomes (the Postfix delivery log follower), the sendpoolctl
administration tool, hardened systemd units and the default configuration.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_PACKAGE_DIRECTORY "${CMAKE_BINARY_DIR}/packages")
set(CPACK_SOURCE_IGNORE_FILES "/build[^/]*/;/\\\\.git/")

# Maintainer scripts: the shared steps pasted into each package's install script, and the
# units this build installs (SENDPOOL_UNITS, from packaging/install.cmake) named in all.
file(READ "${CMAKE_CURRENT_LIST_DIR}/maintainer/common.sh" SENDPOOL_COMMON)
string(CONFIGURE "${SENDPOOL_COMMON}" SENDPOOL_COMMON @ONLY)
set(sendpool_scripts "${CMAKE_BINARY_DIR}/packaging/scripts")
foreach(script deb/postinst deb/prerm deb/postrm rpm/post.sh rpm/preun.sh rpm/postun.sh)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/${script}.in" "${sendpool_scripts}/${script}" @ONLY
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
endforeach()

# --- Debian -------------------------------------------------------------------------
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sendpool_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # library dependencies from dpkg-shlibdeps
# useradd/groupadd (passwd) and openssl (the platform key) in postinst.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, openssl")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postfix")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${sendpool_scripts}/deb/postinst"
  "${sendpool_scripts}/deb/prerm"
  "${sendpool_scripts}/deb/postrm"
  "${CMAKE_CURRENT_LIST_DIR}/deb/conffiles")

# --- RPM ----------------------------------------------------------------------------
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)  # sendpool-<version>-<release>.<arch>.rpm
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_PACKAGE_RELOCATABLE OFF)
string(REPLACE "\n.\n" "\n\n" CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# No /usr/lib/.build-id links: they serve debuginfo packages, which we do not build.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")
set(CPACK_RPM_PACKAGE_LICENSE "LicenseRef-unspecified")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_AUTOREQ ON)  # library dependencies from rpm's ELF scan
set(CPACK_RPM_PACKAGE_REQUIRES "openssl")
set(CPACK_RPM_PACKAGE_REQUIRES_POST "shadow-utils, openssl, coreutils")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE "${sendpool_scripts}/rpm/post.sh")
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE "${sendpool_scripts}/rpm/preun.sh")
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE "${sendpool_scripts}/rpm/postun.sh")
set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/sendpool/sendpool.yaml")
# Directories owned by the distribution, not by this package.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /usr/sbin /usr/share/man /usr/share/man/man5 /usr/share/man/man8 /usr/lib/systemd
  /usr/lib/systemd/system /usr/lib/sysusers.d /usr/lib/tmpfiles.d)

include(CPack)
