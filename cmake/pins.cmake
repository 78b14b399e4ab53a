# pins.cmake: turns the 'file' lines of models/models.lock into a C table of (file name, sha256).
# Every pinned file is known by its basename (model/x.bin, usr/share/dlib/y.dat), so basenames
# must be unique across the lock; a duplicate stops the build.
file(STRINGS "${LOCK}" lines REGEX "^file ")
set(body "")
set(seen "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "[ \t]+" ";" f "${line}")
  list(GET f 2 path)
  list(GET f 3 sha)
  get_filename_component(name "${path}" NAME)
  list(FIND seen "${name}" dup)
  if(NOT dup EQUAL -1)
    message(FATAL_ERROR "models.lock: two pinned files are named ${name}")
  endif()
  list(APPEND seen "${name}")
  string(APPEND body "    {\"${name}\", \"${sha}\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "/* fk_model_pins.h: generated from models/models.lock by cmake/pins.cmake; do not edit. */\n"
  "static const struct { const char *name; const char *sha256; } fk__model_pins[] = {\n${body}};\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
