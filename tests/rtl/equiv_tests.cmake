# Formal equivalence tests (included from tests/rtl/CMakeLists.txt): the synthesized sky130 netlist of each unit in
# MXLAB_EQUIV_UNITS is proved equivalent to its RTL by Yosys (rtl/synth/equiv_unit.cmake, equiv.ys.in), and a copy of
# it with one cell changed must fail that proof. Each needs its unit's synthesis test (fixture mxlab_netlist_<unit>).
# Labels `synth;equiv`; units not in MXLAB_EQUIV_DEFAULT_UNITS are also `slow` (outside the default test run).
set(MXLAB_EQUIV_UNITS "int2_mac" CACHE STRING
    "Catalog units whose synthesized netlist is proved equivalent to the RTL (ctest rtl_equiv_<unit>)")
set(MXLAB_EQUIV_DEFAULT_UNITS "" CACHE STRING "Units of MXLAB_EQUIV_UNITS whose proof is in the default test run")
foreach(unit IN LISTS MXLAB_EQUIV_UNITS)
  if(NOT TEST rtl_synth_${unit})
    continue()
  endif()
  set(_labels synth equiv)
  if(NOT unit IN_LIST MXLAB_EQUIV_DEFAULT_UNITS)
    list(APPEND _labels slow)
  endif()
  set_tests_properties(rtl_synth_${unit} PROPERTIES FIXTURES_SETUP mxlab_netlist_${unit})
  foreach(_mut OFF ON)
    set(_name rtl_equiv_${unit})
    if(_mut)
      set(_name rtl_equiv_mutant_${unit})
    endif()
    add_test(NAME ${_name} COMMAND ${CMAKE_COMMAND} -DCONFIG=${MXLAB_SYNTH_DIR}/${unit}/config.cmake -DMUTATE=${_mut}
             -P ${PROJECT_SOURCE_DIR}/rtl/synth/equiv_unit.cmake)
    set_tests_properties(${_name} PROPERTIES LABELS "${_labels}" FIXTURES_REQUIRED mxlab_netlist_${unit}
                         TIMEOUT 1500)
  endforeach()
endforeach()
