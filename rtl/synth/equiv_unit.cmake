# Formal equivalence of one catalog unit's synthesized netlist with its RTL (cmake -P; a ctest test of tests/rtl):
#   cmake -DCONFIG=<unit dir>/config.cmake [-DMUTATE=ON] [-DSEQ_CELLS="<module patterns>"] -P equiv_unit.cmake
# CONFIG is the unit's synthesis configuration (rtl/synth/synth.cmake); the netlists are the ones synth_unit.cmake
# wrote there (run the synthesis first): <unit>_netlist.v (final) and <unit>_generic.il (the same run before ABC).
# Yosys proves them equivalent with equiv_make / equiv_simple (equiv.ys.in says exactly what is compared: every
# flip-flop D/reset/clock input and every output, registers paired by instance name) and this fails unless all are
# proved. SEQ_CELLS: name patterns of the liberty's sequential cells (kept as instances; default sky130_fd_sc_hd). MUTATE=ON checks that the proof can fail: one cell of a copy of the netlist is replaced by a
# pin-compatible cell of another function (the first NAND2 becomes a NOR2), and the script fails unless that
# netlist is NOT proved equivalent. Writes <unit dir>/equiv[_mutant]/: script, log, equiv_status report.
cmake_minimum_required(VERSION 3.25)
if(NOT CONFIG OR NOT EXISTS "${CONFIG}")
  message(FATAL_ERROR "usage: cmake -DCONFIG=<unit dir>/config.cmake [-DMUTATE=ON] -P equiv_unit.cmake (got '${CONFIG}')")
endif()
include(${CONFIG})  # UNIT TOP PARAMS SOURCES LIBERTY YOSYS TIME_LIMIT_S DIR ...
get_filename_component(_here ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)
set(_netlist ${DIR}/${UNIT}_netlist.v)
set(GENERIC ${DIR}/${UNIT}_generic.il)
foreach(_f ${_netlist} ${GENERIC})
  if(NOT EXISTS ${_f})
    message(FATAL_ERROR "equiv ${UNIT}: no ${_f} (run the synthesis first: rtl_synth_${UNIT} or mxlab_synth_${UNIT})")
  endif()
endforeach()
if(NOT SEQ_CELLS)
  set(SEQ_CELLS "sky130_fd_sc_hd__df* sky130_fd_sc_hd__edf* sky130_fd_sc_hd__sdf* sky130_fd_sc_hd__dlx* "
                "sky130_fd_sc_hd__dlr* sky130_fd_sc_hd__sdl*")
  string(CONCAT SEQ_CELLS ${SEQ_CELLS})
endif()
if(NOT DEFINED EQUIV_TIME_LIMIT_S)
  set(EQUIV_TIME_LIMIT_S 1200)
endif()

set(_work ${DIR}/equiv)
if(MUTATE)
  set(_work ${DIR}/equiv_mutant)
endif()
file(REMOVE_RECURSE ${_work})
file(MAKE_DIRECTORY ${_work})
set(GATE ${_netlist})
if(MUTATE)
  # the first instance of the 2-input NAND becomes a 2-input NOR (the same pins A, B, Y): a different function
  set(_from "sky130_fd_sc_hd__nand2_1 ")
  set(_to "sky130_fd_sc_hd__nor2_1 ")
  file(READ ${_netlist} _text)
  string(FIND "${_text}" "${_from}" _at)
  if(_at LESS 0)
    message(FATAL_ERROR "equiv ${UNIT}: the netlist has no ${_from}cell to mutate")
  endif()
  string(LENGTH "${_from}" _len)
  string(SUBSTRING "${_text}" 0 ${_at} _head)
  math(EXPR _rest "${_at} + ${_len}")
  string(SUBSTRING "${_text}" ${_rest} -1 _tail)
  set(GATE ${_work}/${UNIT}_mutant.v)
  file(WRITE ${GATE} "${_head}${_to}${_tail}")
  string(REGEX MATCH "^ *([^ ]+)" _inst "${_tail}")
  message("[equiv] ${UNIT}: mutant netlist: cell ${CMAKE_MATCH_1} ${_from}-> ${_to}")
endif()

set(STATUS ${_work}/equiv_status.txt)
configure_file(${_here}/equiv.ys.in ${_work}/equiv.ys @ONLY)
string(TIMESTAMP _t0 "%s" UTC)
execute_process(COMMAND ${YOSYS} -q -l ${_work}/yosys.log ${_work}/equiv.ys TIMEOUT ${EQUIV_TIME_LIMIT_S}
                RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
string(TIMESTAMP _t1 "%s" UTC)
math(EXPR _secs "${_t1} - ${_t0}")
set(_status "")
if(EXISTS ${STATUS})
  file(READ ${STATUS} _status)
endif()
set(_proved "")
if(_status MATCHES "Of those cells ([0-9]+) are proven and ([0-9]+) are unproven")
  set(_proved "${CMAKE_MATCH_1} proved, ${CMAKE_MATCH_2} unproven")
elseif(_status MATCHES "Found ([0-9]+) \\$equiv cells")
  set(_proved "${CMAKE_MATCH_1} proved")
endif()

if(NOT MUTATE)
  if(NOT _rc EQUAL 0 OR NOT _status MATCHES "Equivalence successfully proven!")
    message(FATAL_ERROR "equiv ${UNIT}: the netlist is NOT proved equivalent to its pre-ABC netlist (Yosys result "
            "${_rc}, ${_secs} s, ${_proved}; log: ${_work}/yosys.log)")
  endif()
  message("[equiv] ${UNIT}: ${_netlist} proved equivalent to the generic netlist of the RTL (${TOP} ${PARAMS}): "
          "${_proved} obligations (flip-flop inputs, outputs), ${_secs} s")
else()
  # the mutant must fail at equiv_status -assert (not earlier: reading or elaborating it must still work)
  file(READ ${_work}/yosys.log _log)
  if(_rc EQUAL 0 OR NOT _log MATCHES "unproven \\$equiv cells in 'equiv_status -assert'")
    message(FATAL_ERROR "equiv ${UNIT}: the mutated netlist was not refuted (Yosys result ${_rc}, ${_secs} s, "
            "${_proved}; log: ${_work}/yosys.log)")
  endif()
  message("[equiv] ${UNIT}: mutated netlist refuted as it must be (${_proved}, ${_secs} s)")
endif()
