# Installation layout and the Debian package (cpack -G DEB in the build directory).
#   /usr/sbin/dcmond, /usr/bin/dcmon, /usr/bin/dcmon-sim
#   /etc/dcmon/dcmon.yaml (packaging/dcmon.yaml, a commented minimal config) and
#   /etc/dcmon/profiles/ (conffiles), /lib/systemd/system/dcmon.service,
#   /usr/share/doc/dcmon/ (docs/*.md, the demo config as an example), man pages;
#   postinst makes the dcmon system user and /var/lib/dcmon.
include(GNUInstallDirs)
install(TARGETS dcmond RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS dcmon dcmon-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES packaging/dcmon.yaml DESTINATION /etc/dcmon)
install(DIRECTORY etc/profiles DESTINATION /etc/dcmon)
install(FILES packaging/dcmon.service DESTINATION /lib/systemd/system)
file(GLOB DCMON_DOCS CONFIGURE_DEPENDS docs/*.md)
install(FILES ${DCMON_DOCS} README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES etc/dcmon.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY etc/demo etc/scenarios DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Every file under /etc is a conffile: dpkg keeps the operator's edits on upgrade.
file(GLOB DCMON_PROFILES RELATIVE ${CMAKE_SOURCE_DIR}/etc CONFIGURE_DEPENDS etc/profiles/*.yaml)
set(conffiles "/etc/dcmon/dcmon.yaml\n")
foreach(p ${DCMON_PROFILES})
  string(APPEND conffiles "/etc/dcmon/${p}\n")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/debian/conffiles "${conffiles}")
foreach(script postinst prerm postrm)
  file(COPY packaging/${script} DESTINATION ${CMAKE_BINARY_DIR}/debian
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                        WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dcmon)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "dcmon maintainers <dcmon@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "data-center monitoring daemon")
set(CPACK_PACKAGE_DESCRIPTION "dcmond polls UPSes, PDUs, generators, cooling and servers (SNMP, Modbus, ping, TCP, processes, Nagios plugins), archives to RRD, raises alerts by rules and routes them by e-mail; dcmon is its command-line client.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "rrdcached, monitoring-plugins-basic")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_BINARY_DIR}/debian/conffiles ${CMAKE_BINARY_DIR}/debian/postinst
    ${CMAKE_BINARY_DIR}/debian/prerm ${CMAKE_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES ON)
include(CPack)
