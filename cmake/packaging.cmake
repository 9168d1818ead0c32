# Install rules (binaries, systemd units, man pages, example configuration) and the CPack .deb.
# `cmake --install build --prefix /usr` or `cpack -G DEB` in the build directory.
include(GNUInstallDirs)
set(SCREAM_PACKAGING_DIR ${CMAKE_SOURCE_DIR}/packaging)

foreach(program scream-recv scream-send)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# The units name the binary by absolute path, and the prefix is only final at install time
# (cpack installs into /usr whatever CMAKE_INSTALL_PREFIX was), so they are configured then.
set(SCREAM_UNIT_DIR ${CMAKE_BINARY_DIR}/packaging/systemd)
install(CODE "
  set(SCREAM_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  foreach(kind system user)
    configure_file(\"${SCREAM_PACKAGING_DIR}/systemd/\${kind}/scream-recv.service.in\"
                   \"${SCREAM_UNIT_DIR}/\${kind}/scream-recv.service\" @ONLY)
  endforeach()
")
# systemd looks in PREFIX/lib/systemd/{system,user} for both /usr and /usr/local.
install(FILES ${SCREAM_UNIT_DIR}/system/scream-recv.service DESTINATION lib/systemd/system)
install(FILES ${SCREAM_UNIT_DIR}/user/scream-recv.service DESTINATION lib/systemd/user)

install(FILES ${SCREAM_PACKAGING_DIR}/man/scream-recv.1 ${SCREAM_PACKAGING_DIR}/man/scream-send.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${SCREAM_PACKAGING_DIR}/man/scream-recv.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
# An example, not a conffile: with no file the defaults apply, and removing the package leaves
# nothing of ours in /etc.
install(FILES ${SCREAM_PACKAGING_DIR}/scream-recv.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME scream-recv.toml.example)
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME scream-netaudio)
set(CPACK_PACKAGE_VENDOR scream-netaudio)
set(CPACK_PACKAGE_CONTACT "scream-netaudio maintainers <scream-netaudio@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Scream-compatible network sound card: receiver and sender")
set(CPACK_PACKAGE_DESCRIPTION
    "scream-recv plays the UDP audio stream of a Scream virtual sound card (Windows driver or "
    "scream-send) on PulseAudio, ALSA or JACK with drift-compensated low latency; systemd units "
    "for a session or a headless box. scream-send sends a tone, stdin or a WAV file.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the linked libraries (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${SCREAM_PACKAGING_DIR}/debian/postinst
    ${SCREAM_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
