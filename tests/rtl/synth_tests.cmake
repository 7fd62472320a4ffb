# Synthesis tests (included from tests/rtl/CMakeLists.txt): every catalog unit mapped onto the liberty by the real
# flow of rtl/synth/ (Yosys dfflibmap + abc, then OpenSTA), which fails unless synthesis finishes within
# MXLAB_SYNTH_TIME_LIMIT_S and the netlist has cells, area, flip-flops and a positive critical path.
# Label `synth`; units not in MXLAB_SYNTH_DEFAULT_UNITS are also `slow` (outside the default test run).
set(MXLAB_SYNTH_DEFAULT_UNITS "mxfp4_dot;int_mac;int2_mac" CACHE STRING
    "Catalog units whose synthesis test is in the default run")
foreach(unit IN LISTS MXLAB_SYNTH_UNITS)
  add_test(NAME rtl_synth_${unit}
           COMMAND ${CMAKE_COMMAND} -DCONFIG=${MXLAB_SYNTH_DIR}/${unit}/config.cmake -P ${MXLAB_SYNTH_DRIVER})
  set(_labels synth)
  if(NOT unit IN_LIST MXLAB_SYNTH_DEFAULT_UNITS)
    list(APPEND _labels slow)
  endif()
  set_tests_properties(rtl_synth_${unit} PROPERTIES LABELS "${_labels}" TIMEOUT 900)
endforeach()
