# fuzz/replay.cmake: every fuzz target's corpus replayed as a ctest test (fuzz/<name>_replay), with any compiler, so the sanitizer build runs them too.
# Included from the top-level CMakeLists.txt when tests are built. libFuzzer is clang's only; a
# plain main (replay_main.c) feeds the same LLVMFuzzerTestOneInput every file of the corpus.
file(GLOB FK_REPLAY_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/fuzz_*.c")
foreach(src IN LISTS FK_REPLAY_SOURCES)
  get_filename_component(name "${src}" NAME_WE)
  set(corpus "${CMAKE_CURRENT_LIST_DIR}/corpus/${name}")
  # a target without seeds would pass its test having run nothing
  if(NOT IS_DIRECTORY "${corpus}")
    message(FATAL_ERROR "fuzz/replay.cmake: ${name} has no corpus folder ${corpus}")
  endif()
  file(GLOB files CONFIGURE_DEPENDS "${corpus}/*")
  list(SORT files)
  if(NOT files)
    message(FATAL_ERROR "fuzz/replay.cmake: the corpus folder ${corpus} of ${name} is empty")
  endif()
  add_executable(${name}_replay "${src}" "${CMAKE_CURRENT_LIST_DIR}/replay_main.c")
  # next to the fuzzers in a build that has both; fuzz.sh passes over *_replay
  set_target_properties(${name}_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/fuzz")
  target_link_libraries(${name}_replay PRIVATE facekit_obj)
  add_test(NAME fuzz/${name}_replay COMMAND ${name}_replay ${files})
  set_tests_properties(fuzz/${name}_replay PROPERTIES TIMEOUT 300 LABELS fuzz)
endforeach()
