# Installation layout and the Debian package (cpack -G DEB in the build directory).
#   /usr/sbin/dcmond, /usr/bin/dcmon, /usr/bin/dcmon-sim
#   /etc/dcmon/dcmon.yaml (packaging/dcmon.yaml, a commented minimal config) and
#   /etc/dcmon/profiles/ (conffiles), /lib/systemd/system/dcmon.service,
#   /usr/share/doc/dcmon/ (docs/*.md, the demo config as an example),
#   /usr/share/dcmon/grafana/ (the Grafana dashboard, etc/grafana),
#   /usr/share/snmp/mibs/DCMON-MIB.txt (mibs/), the man pages
#   dcmond(8), dcmon(1), dcmon-sim(1), dcmon.yaml(5);
#   postinst makes the dcmon system user and /var/lib/dcmon.
include(GNUInstallDirs)

# Man pages, made from the programs' own help and docs/man/*.md (scripts/mkman.py), so
# that --help, the man pages and docs/CLI.md say the same.
find_program(DCMON_PYTHON3 python3 REQUIRED)
set(DCMON_MAN_PAGES dcmond.8 dcmon.1 dcmon-sim.1 dcmon.yaml.5)
set(DCMON_MAN_OUT)
foreach(p ${DCMON_MAN_PAGES})
  list(APPEND DCMON_MAN_OUT ${CMAKE_BINARY_DIR}/man/${p})
endforeach()
file(GLOB DCMON_MAN_SRC CONFIGURE_DEPENDS docs/man/*.md)
add_custom_command(
  OUTPUT ${DCMON_MAN_OUT}
  COMMAND ${DCMON_PYTHON3} ${CMAKE_SOURCE_DIR}/scripts/mkman.py --build ${CMAKE_BINARY_DIR}
          --src ${CMAKE_SOURCE_DIR} --out ${CMAKE_BINARY_DIR}/man --version ${PROJECT_VERSION}
  DEPENDS dcmond dcmon dcmon-sim ${CMAKE_SOURCE_DIR}/scripts/mkman.py ${DCMON_MAN_SRC}
          ${CMAKE_SOURCE_DIR}/docs/CONFIG.md
  COMMENT "Man pages from the programs' help and docs/man")
add_custom_target(man ALL DEPENDS ${DCMON_MAN_OUT})
foreach(p ${DCMON_MAN_PAGES})
  string(REGEX MATCH "[0-9]$" section ${p})
  install(FILES ${CMAKE_BINARY_DIR}/man/${p} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
install(TARGETS dcmond RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS dcmon dcmon-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES packaging/dcmon.yaml DESTINATION /etc/dcmon)
install(DIRECTORY etc/profiles DESTINATION /etc/dcmon)
install(FILES packaging/dcmon.service DESTINATION /lib/systemd/system)
file(GLOB DCMON_DOCS CONFIGURE_DEPENDS docs/*.md)
install(FILES ${DCMON_DOCS} README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES etc/dcmon.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY etc/demo etc/scenarios DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY etc/grafana DESTINATION ${CMAKE_INSTALL_DATADIR}/dcmon)
# DCMON-MIB where net-snmp's tools look for MIBs (docs/SNMP_NORTHBOUND.md)
install(FILES mibs/DCMON-MIB.txt DESTINATION ${CMAKE_INSTALL_DATADIR}/snmp/mibs)

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
