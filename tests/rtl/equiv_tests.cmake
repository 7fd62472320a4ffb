# Formal equivalence tests (included from tests/rtl/CMakeLists.txt): the synthesized sky130 netlist of each unit in
# MXLAB_EQUIV_UNITS is proved equivalent to its RTL by Yosys (rtl/synth/equiv_unit.cmake, equiv_rtl.ys.in: the SV
# sources elaborated with the unit's parameters, no synthesis, against the final netlist; equiv_simple +
# equiv_induct), each unit in MXLAB_EQUIV_ABC_UNITS by ABC (METHOD=abc, equiv_unit_abc.cmake: the same two designs
# paired by name, each group of pairs proved combinationally by SAT or BDDs, the rest by a sequential miter), and
# for the units in MXLAB_EQUIV_[ABC_]MUTANT_UNITS a copy of the netlist with one cell changed must fail that unit's
# proof. Each needs its unit's synthesis test (fixture mxlab_netlist_<unit>). Labels `synth;equiv`; units not in
# MXLAB_EQUIV_DEFAULT_UNITS are also `slow`.
# The lists hold the units whose proof has finished within the time limit (README, "Netlist equivalence proofs":
# what is proved, in how many CPU-seconds, what is not and why).
set(MXLAB_EQUIV_UNITS "int2_mac" CACHE STRING
    "Catalog units whose synthesized netlist is proved equivalent to the RTL (ctest rtl_equiv_<unit>)")
set(MXLAB_EQUIV_ABC_UNITS
    "int4_mac;int4x8_mac;int6_mac;int_mac;int_mac_d2;int_mac_d3;int_mac_d4;vq_mac_d3;nvfp4_dot_d3;mxfp4_dot_d3"
    CACHE STRING
    "Catalog units whose netlist is proved equivalent to the RTL by ABC (METHOD=abc; ctest rtl_equiv_<unit>)")
set(MXLAB_EQUIV_MUTANT_UNITS "int2_mac" CACHE STRING
    "Units of MXLAB_EQUIV_UNITS whose mutated netlist must fail the proof (ctest rtl_equiv_mutant_<unit>)")
set(MXLAB_EQUIV_ABC_MUTANT_UNITS "int4_mac;int4x8_mac;int_mac_d3;vq_mac_d3;nvfp4_dot_d3" CACHE STRING
    "Units whose mutated netlist must fail the ABC proof (ctest rtl_equiv_mutant_<unit>)")
set(MXLAB_EQUIV_DEFAULT_UNITS "" CACHE STRING "Units of MXLAB_EQUIV_UNITS whose proof is in the default test run")
# one proof test of a unit (its synthesis test the fixture that writes the netlists); ARGN: the -D options of
# equiv_unit.cmake beyond CONFIG and MUTATE
function(_mxlab_equiv_test name unit mutate labels)
  if(NOT TEST rtl_synth_${unit})
    return()
  endif()
  set_tests_properties(rtl_synth_${unit} PROPERTIES FIXTURES_SETUP mxlab_netlist_${unit})
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -DCONFIG=${MXLAB_SYNTH_DIR}/${unit}/config.cmake -DMUTATE=${mutate}
           ${ARGN} -P ${PROJECT_SOURCE_DIR}/rtl/synth/equiv_unit.cmake)
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" FIXTURES_REQUIRED mxlab_netlist_${unit} TIMEOUT 1500)
endfunction()
set(_units ${MXLAB_EQUIV_UNITS} ${MXLAB_EQUIV_ABC_UNITS} ${MXLAB_EQUIV_MUTANT_UNITS} ${MXLAB_EQUIV_ABC_MUTANT_UNITS})
list(REMOVE_DUPLICATES _units)
foreach(unit IN LISTS _units)
  set(_method yosys)
  if(unit IN_LIST MXLAB_EQUIV_ABC_UNITS OR unit IN_LIST MXLAB_EQUIV_ABC_MUTANT_UNITS)
    set(_method abc)
  endif()
  set(_labels synth equiv)
  if(NOT unit IN_LIST MXLAB_EQUIV_DEFAULT_UNITS)
    list(APPEND _labels slow)
  endif()
  if(unit IN_LIST MXLAB_EQUIV_UNITS OR unit IN_LIST MXLAB_EQUIV_ABC_UNITS)
    _mxlab_equiv_test(rtl_equiv_${unit} ${unit} OFF "${_labels}" -DMETHOD=${_method})
  endif()
  if(unit IN_LIST MXLAB_EQUIV_MUTANT_UNITS OR unit IN_LIST MXLAB_EQUIV_ABC_MUTANT_UNITS)
    _mxlab_equiv_test(rtl_equiv_mutant_${unit} ${unit} ON "${_labels}" -DMETHOD=${_method})
  endif()
endforeach()

# The DEPTH-1 block dots, whose one-step RTL proof does not finish (README): the final netlist proved equivalent to
# the RTL through Yosys's netlist before `abc -fast` (METHOD=abc VIA=noabc, rtl/synth/equiv_via.cmake: RTL == I,
# the block sum by algebra, then I == final netlist; ctest rtl_equiv_via_<unit>; rtl_equiv_via_mutant_<unit>: a
# mutated final netlist must fail the second proof). Labels synth;equiv;slow.
set(MXLAB_EQUIV_VIA_UNITS "mxfp4_dot;mxint8_dot;nvfp4_dot" CACHE STRING
    "Catalog units whose netlist is proved equivalent to the RTL through I (VIA=noabc; ctest rtl_equiv_via_<unit>)")
set(MXLAB_EQUIV_VIA_MUTANT_UNITS "mxfp4_dot" CACHE STRING
    "Units whose mutated netlist must fail the proof through I (ctest rtl_equiv_via_mutant_<unit>)")
foreach(unit IN LISTS MXLAB_EQUIV_VIA_UNITS)
  _mxlab_equiv_test(rtl_equiv_via_${unit} ${unit} OFF "synth;equiv;slow" -DMETHOD=abc -DVIA=noabc)
endforeach()
foreach(unit IN LISTS MXLAB_EQUIV_VIA_MUTANT_UNITS)
  _mxlab_equiv_test(rtl_equiv_via_mutant_${unit} ${unit} ON "synth;equiv;slow" -DMETHOD=abc -DVIA=noabc)
endforeach()

# The units not proved against the RTL (README: the other DEPTH-1 block dots and the vq_mac units): their ABC step
# alone, the final netlist against the same synthesis run's generic netlist before ABC (METHOD=abc GOLD=generic;
# ctest rtl_equiv_map_<unit>). Labels synth;equiv;slow. vq_mac_d4k256 (272 groups of a 58k-cell netlist) takes about
# 40 CPU-minutes: its test has a longer timeout.
set(MXLAB_EQUIV_MAP_UNITS "mx_dot_any;nvfp4_ts_dot;int4x8_group_dot;fp_group_dot;\
int4x8_asym_dot;fp4v_mac;vq_mac;vq_mac_d1k16;vq_mac_d4k256" CACHE STRING
    "Catalog units whose netlist is proved equivalent to their generic netlist before ABC (ctest rtl_equiv_map_<unit>)")
foreach(unit IN LISTS MXLAB_EQUIV_MAP_UNITS)
  _mxlab_equiv_test(rtl_equiv_map_${unit} ${unit} OFF "synth;equiv;slow" -DMETHOD=abc -DGOLD=generic)
endforeach()
if(TEST rtl_equiv_map_vq_mac_d4k256)
  set_tests_properties(rtl_equiv_map_vq_mac_d4k256 PROPERTIES TIMEOUT 5400)
endif()

# The adder-tree step of the ABC proof (rtl/synth/equiv_sum_tree.py, equiv_sum_tree.cmake) on small synthetic trees:
# its miters proved for a carry-save netlist, refuted for a wrong full adder in the netlist or the RTL tree.
find_program(MXLAB_YOSYS_ABC yosys-abc)
find_package(Python3 COMPONENTS Interpreter)
if(MXLAB_YOSYS_ABC AND Python3_Interpreter_FOUND)
  add_test(NAME rtl_equiv_sum_tree_tool
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/equiv_sum_tree_test.py
                   ${PROJECT_SOURCE_DIR}/rtl/synth/equiv_sum_tree.py ${MXLAB_YOSYS_ABC}
                   ${CMAKE_CURRENT_BINARY_DIR}/equiv_sum_tree_test)
  set_tests_properties(rtl_equiv_sum_tree_tool PROPERTIES LABELS "synth;equiv" TIMEOUT 300)
endif()

# The algebraic step (rtl/synth/equiv_sum_alg.py) on a small synthetic tree whose RTL and maccmap views Yosys writes:
# proved, and refused for an RTL adder that wraps, a full adder of maccmap's with sum and carry swapped, and refuted
# for a wrong full adder in the netlist.
find_program(YOSYS_BIN yosys)
if(YOSYS_BIN AND MXLAB_YOSYS_ABC AND Python3_Interpreter_FOUND)
  add_test(NAME rtl_equiv_sum_alg_tool
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/equiv_sum_alg_test.py
                   ${PROJECT_SOURCE_DIR}/rtl/synth/equiv_sum_alg.py ${YOSYS_BIN} ${MXLAB_YOSYS_ABC}
                   ${CMAKE_CURRENT_BINARY_DIR}/equiv_sum_alg_test)
  set_tests_properties(rtl_equiv_sum_alg_tool PROPERTIES LABELS "synth;equiv" TIMEOUT 300)
endif()

# Building blocks of the block dots, each synthesized standalone with the parameters it has inside mxfp4_dot and
# proved equal to its RTL by a combinational miter (rtl/synth/equiv_block.cmake: yosys-abc iprove): the accumulator
# adder, the normalizer's leading-zero count, the E8M0 scale decoder, the E2M1 element decoder (ELEM_E2M1 = 4).
set(MXLAB_EQUIV_BLOCKS
    "mxlab_fp_acc_add:E=8,M=23,BW=14,XW=10" "mxlab_lzc:W=14" "mxlab_scale_decode:SCALE=0"
    "mxlab_elem_decode_fixed:ELEM=4")
if(TEST rtl_synth_mxfp4_dot)
  foreach(_block IN LISTS MXLAB_EQUIV_BLOCKS)
    string(REPLACE ":" ";" _block "${_block}")
    list(GET _block 0 _module)
    list(GET _block 1 _params)
    string(REPLACE "," ";" _params "${_params}")
    string(REGEX REPLACE "^mxlab_" "" _name ${_module})
    add_test(NAME rtl_equiv_block_${_name}
             COMMAND ${CMAKE_COMMAND} -DCONFIG=${MXLAB_SYNTH_DIR}/mxfp4_dot/config.cmake -DMODULE=${_module}
                     "-DMODULE_PARAMS=${_params}" -DOUT=${MXLAB_SYNTH_DIR}/blocks/${_module}
                     -P ${PROJECT_SOURCE_DIR}/rtl/synth/equiv_block.cmake)
    set_tests_properties(rtl_equiv_block_${_name} PROPERTIES LABELS "synth;equiv;slow" TIMEOUT 1800)
  endforeach()
endif()
