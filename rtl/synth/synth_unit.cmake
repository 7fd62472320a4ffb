# Synthesis of one catalog unit (cmake -P; written per unit by rtl/synth/synth.cmake as <dir>/config.cmake):
#   cmake -DCONFIG=<dir>/config.cmake -P rtl/synth/synth_unit.cmake
# Maps the unit onto the liberty with Yosys (synth.ys.in), times it, runs OpenSTA (sta.tcl.in) on the netlist and
# writes <dir>/report.json: synthesis wall seconds (Yosys + ABC), cells, area (um^2), flip-flops, critical path and
# maximum clock. Fails, saying why, when a tool fails, synthesis exceeds TIME_LIMIT_S or a number is not sane.
# It also writes the flattened netlist (<unit>_flat.v, for gate-level energy) and fails unless the flat netlist has
# the same cells and area and, when the unit kept a hierarchy, the same OpenSTA worst slack. CLOCK_NS may be decimal.
cmake_minimum_required(VERSION 3.25)
if(NOT CONFIG OR NOT EXISTS "${CONFIG}")
  message(FATAL_ERROR "usage: cmake -DCONFIG=<unit dir>/config.cmake -P synth_unit.cmake (got '${CONFIG}')")
endif()
# UNIT TOP PARAMS SOURCES LIBERTY LIBERTY_SOURCE YOSYS STA CLOCK_NS TIME_LIMIT_S ABC_SCRIPT TIE_CELL DIR
include(${CONFIG})
get_filename_component(_here ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)

set(CHPARAMS "")
foreach(_pv IN LISTS PARAMS)
  string(REPLACE "=" " " _pv "${_pv}")
  string(APPEND CHPARAMS "-set ${_pv} ")
endforeach()
list(JOIN SOURCES " " SOURCES)
set(STAT ${DIR}/stat.txt)
set(FLOPS ${DIR}/flops.txt)
set(NETLIST ${DIR}/${UNIT}_netlist.v)
set(STAT_FLAT ${DIR}/stat_flat.txt)
set(FLAT_NETLIST ${DIR}/${UNIT}_flat.v)
set(GENERIC ${DIR}/${UNIT}_generic.il)  # before ABC, for the equivalence proof (equiv_unit.cmake)
file(REMOVE ${STAT} ${FLOPS} ${NETLIST} ${STAT_FLAT} ${FLAT_NETLIST} ${GENERIC} ${DIR}/report.json)
configure_file(${_here}/synth.ys.in ${DIR}/synth.ys @ONLY)

# "<-?>N[.F]" ns -> integer picoseconds (the first three decimals)
function(_ps out ns)
  string(REGEX REPLACE "^(-?[0-9]+)$" "\\1.0" ns "${ns}")
  if(NOT ns MATCHES "^(-?)([0-9]+)\\.([0-9]*)$")
    message(FATAL_ERROR "synth ${UNIT}: '${ns}' is not a number of nanoseconds")
  endif()
  string(SUBSTRING "${CMAKE_MATCH_3}000" 0 3 _frac)
  math(EXPR _v "${CMAKE_MATCH_2} * 1000 + ${_frac}")
  if(CMAKE_MATCH_1 STREQUAL "-")
    math(EXPR _v "-${_v}")
  endif()
  set(${out} ${_v} PARENT_SCOPE)
endfunction()
_ps(_clock_ps "${CLOCK_NS}")
if(_clock_ps LESS_EQUAL 0)
  message(FATAL_ERROR "synth ${UNIT}: clock period ${CLOCK_NS} ns is not positive")
endif()

function(_fail what log)
  message(FATAL_ERROR "synth ${UNIT}: ${what} (log: ${log})")
endfunction()

# OpenSTA (sta.tcl.in) on `netlist`, script and log ${DIR}/sta<suffix>.tcl/.log: sets `out_slack` (worst slack, ns)
# and `out_log` (the log text)
function(_run_sta netlist suffix out_slack out_log)
  set(NETLIST ${netlist})
  configure_file(${_here}/sta.tcl.in ${DIR}/sta${suffix}.tcl @ONLY)
  execute_process(COMMAND ${STA} -no_splash -exit ${DIR}/sta${suffix}.tcl TIMEOUT ${TIME_LIMIT_S}
                  RESULT_VARIABLE _rc OUTPUT_FILE ${DIR}/sta${suffix}.log ERROR_FILE ${DIR}/sta${suffix}.log)
  file(READ ${DIR}/sta${suffix}.log _log)
  if(NOT _rc EQUAL 0 OR NOT _log MATCHES "mxlab_worst_slack (-?[0-9.]+)")
    _fail("OpenSTA failed on ${netlist} (result: ${_rc})" ${DIR}/sta${suffix}.log)
  endif()
  set(${out_slack} ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(${out_log} "${_log}" PARENT_SCOPE)
endfunction()

# wall-clock microseconds since the epoch (CMake >= 3.23: %f)
macro(_now out)
  string(TIMESTAMP ${out} "%s%f" UTC)
endmacro()
# "<ms / 1000>.<ms % 1000>" with three decimals
function(_seconds out us)
  math(EXPR _ms "${us} / 1000")
  math(EXPR _s "${_ms} / 1000")
  math(EXPR _f "${_ms} % 1000 + 1000")
  string(SUBSTRING ${_f} 1 3 _f)
  set(${out} "${_s}.${_f}" PARENT_SCOPE)
endfunction()

_now(_t0)
execute_process(COMMAND ${YOSYS} -q -l ${DIR}/yosys.log ${DIR}/synth.ys TIMEOUT ${TIME_LIMIT_S}
                RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
_now(_t1)
math(EXPR _us "${_t1} - ${_t0}")
_seconds(synth_s ${_us})
if(NOT _rc EQUAL 0)
  _fail("Yosys failed or ran past ${TIME_LIMIT_S} s (${synth_s} s, result: ${_rc})" ${DIR}/yosys.log)
endif()
file(READ ${DIR}/yosys.log _log)
set(cpu_s "?")
set(mem_mb "?")
if(_log MATCHES "CPU: user ([0-9.]+)s system ([0-9.]+)s, MEM: ([0-9.]+) MB peak")
  set(cpu_s "${CMAKE_MATCH_1} + ${CMAKE_MATCH_2}")
  set(mem_mb ${CMAKE_MATCH_3})
endif()
file(READ ${STAT} _stat)
file(READ ${FLOPS} _flops)
# a flat design has one module section; with kept hierarchy the last section (design hierarchy) has the totals
string(REGEX MATCHALL "Number of cells: +[0-9]+" _counts "${_stat}")
list(POP_BACK _counts _last)
if(NOT _last MATCHES "([0-9]+)$")
  _fail("no cell count in the statistics" ${STAT})
endif()
set(cells ${CMAKE_MATCH_1})
string(REGEX MATCH "Chip area for top module '[^']*': ([0-9.]+)" _m "${_stat}")
if(NOT _m)
  string(REGEX MATCH "Chip area for module '[^']*': ([0-9.]+)" _m "${_stat}")
endif()
if(NOT _m)
  _fail("no chip area in the statistics (cells missing from the liberty?)" ${STAT})
endif()
set(area ${CMAKE_MATCH_1})
if(NOT _flops MATCHES "([0-9]+) objects")
  _fail("no flip-flop count" ${FLOPS})
endif()
set(flops ${CMAKE_MATCH_1})

_run_sta(${NETLIST} "" slack _sta)

# the flat netlist for energy: the same cells and area; the same worst slack when the unit kept a hierarchy
file(READ ${STAT_FLAT} _stat_flat)
string(REGEX MATCH "Number of cells: +([0-9]+)" _m "${_stat_flat}")
set(_flat_cells ${CMAKE_MATCH_1})
string(REGEX MATCH "Chip area for module '[^']*': ([0-9.]+)" _m "${_stat_flat}")
if(NOT _flat_cells EQUAL cells OR NOT CMAKE_MATCH_1 STREQUAL area)
  _fail("flattened netlist differs: ${_flat_cells} cells, ${CMAKE_MATCH_1} um^2 vs ${cells}, ${area}" ${STAT_FLAT})
endif()
list(LENGTH _counts _sections)  # module sections before the totals: > 0 means a kept hierarchy
set(flat_slack "${slack}")
if(_sections GREATER 0)
  _run_sta(${FLAT_NETLIST} _flat flat_slack _sta_flat)
  if(NOT flat_slack STREQUAL slack)
    _fail("flat netlist worst slack ${flat_slack} ns differs from the hierarchical ${slack} ns" ${DIR}/sta_flat.log)
  endif()
endif()
string(REGEX MATCH "Startpoint: ([^ \n]+)" _m "${_sta}")
set(start ${CMAKE_MATCH_1})
string(REGEX MATCH "Endpoint: ([^ \n]+)" _m "${_sta}")
set(end ${CMAKE_MATCH_1})
# critical path = period - worst slack; maximum clock = 1 / critical path (to 0.001 ns and 0.1 MHz, integer math)
_ps(_slack_ps "${slack}")
math(EXPR _path_ps "${_clock_ps} - ${_slack_ps}")
if(_path_ps LESS_EQUAL 0 OR cells LESS_EQUAL 0 OR flops LESS_EQUAL 0 OR area STREQUAL "" OR area MATCHES "^0*\\.?0*$")
  _fail("implausible result: cells ${cells}, flops ${flops}, area ${area}, critical path ${_path_ps} ps" ${DIR})
endif()
math(EXPR _mhz10 "10000000 / ${_path_ps}")
math(EXPR _mhz "${_mhz10} / 10")
math(EXPR _mhz_f "${_mhz10} % 10")
math(EXPR _ns "${_path_ps} / 1000")
math(EXPR _ns_f "${_path_ps} % 1000 + 1000")
string(SUBSTRING ${_ns_f} 1 3 _ns_f)
set(path_ns "${_ns}.${_ns_f}")
set(fmax "${_mhz}.${_mhz_f}")
string(REGEX REPLACE "\\.[0-9]*$" "" area_int "${area}")
get_filename_component(_lib ${LIBERTY_SOURCE} NAME)

file(WRITE ${DIR}/report.json "{
  \"unit\": \"${UNIT}\", \"top\": \"${TOP}\", \"params\": \"${PARAMS}\",
  \"synth_wall_s\": ${synth_s}, \"yosys_cpu_s\": \"${cpu_s}\", \"yosys_peak_mb\": \"${mem_mb}\",
  \"cells\": ${cells}, \"area_um2\": ${area}, \"flops\": ${flops},
  \"clock_ns\": ${CLOCK_NS}, \"worst_slack_ns\": ${slack}, \"critical_path_ns\": ${path_ns}, \"fmax_mhz\": ${fmax},
  \"critical_from\": \"${start}\", \"critical_to\": \"${end}\",
  \"liberty\": \"${_lib}\", \"netlist\": \"${NETLIST}\", \"flat_netlist\": \"${FLAT_NETLIST}\",
  \"hierarchy_kept\": ${_sections}, \"flat_worst_slack_ns\": ${flat_slack}
}
")
message("[synth] ${UNIT}: ${synth_s} s synthesis (Yosys CPU ${cpu_s} s without ABC, ${mem_mb} MB), "
        "${cells} cells, ${area_int} um^2, ${flops} flip-flops, critical path ${path_ns} ns (${start} -> ${end}), "
        "max clock ${fmax} MHz (${_lib}, clock ${CLOCK_NS} ns)")
