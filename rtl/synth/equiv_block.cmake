# Combinational equivalence of one building-block module of the block dots, synthesized standalone (cmake -P):
#   cmake -DCONFIG=<unit dir>/config.cmake -DMODULE=<module> -DMODULE_PARAMS="NAME=VALUE;..." -DOUT=<dir>
#         -P equiv_block.cmake
# CONFIG is any catalog unit's synthesis configuration (rtl/synth/synth.cmake): it supplies the sources, liberty, ABC
# script and tools. The module is mapped onto the liberty by the unit flow's own script (synth.ys.in, configured here
# for the module), then equiv_block.ys.in builds a miter of the RTL (proc + flatten, no synthesis) and that netlist
# and ABC (yosys-abc `iprove`: fraiging + SAT) proves its output constant 0. Fails unless it is UNSATISFIABLE
# (proved) within EQUIV_TIME_LIMIT_S (default 900 s) per tool. Writes <OUT>/: scripts, logs, netlist, miter.
cmake_minimum_required(VERSION 3.25)
if(NOT CONFIG OR NOT EXISTS "${CONFIG}" OR NOT MODULE OR NOT MODULE_PARAMS OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DCONFIG=<unit dir>/config.cmake -DMODULE=<module> -DMODULE_PARAMS=N=V;... "
          "-DOUT=<dir> -P equiv_block.cmake")
endif()
include(${CONFIG})  # SOURCES LIBERTY YOSYS ABC_SCRIPT TIE_CELL ...
get_filename_component(_here ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)
get_filename_component(_yosys_dir ${YOSYS} DIRECTORY)
find_program(ABC_BIN yosys-abc HINTS ${_yosys_dir})
if(NOT ABC_BIN)
  message(FATAL_ERROR "equiv ${MODULE}: yosys-abc (installed with yosys) not found")
endif()
if(NOT DEFINED EQUIV_TIME_LIMIT_S)
  set(EQUIV_TIME_LIMIT_S 900)
endif()
set(UNIT ${MODULE})
set(TOP ${MODULE})
set(DIR ${OUT})
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
list(TRANSFORM MODULE_PARAMS REPLACE "^([^=]+)=(.*)$" "-set \\1 \\2" OUTPUT_VARIABLE CHPARAMS)
list(JOIN CHPARAMS " " CHPARAMS)
list(JOIN SOURCES " " SOURCES)
# the paths synth.ys.in writes
set(STAT ${DIR}/stat.txt)
set(FLOPS ${DIR}/flops.txt)
set(GENERIC ${DIR}/${MODULE}_generic.il)
set(NETLIST ${DIR}/${MODULE}_netlist.v)
set(STAT_FLAT ${DIR}/stat_flat.txt)
set(FLAT_NETLIST ${DIR}/${MODULE}_flat.v)
set(MITER ${DIR}/miter.aig)

function(_run what tool script log)
  string(TIMESTAMP _t0 "%s" UTC)
  execute_process(COMMAND ${tool} ${script} TIMEOUT ${EQUIV_TIME_LIMIT_S} RESULT_VARIABLE _rc
                  OUTPUT_FILE ${log} ERROR_FILE ${log})
  string(TIMESTAMP _t1 "%s" UTC)
  math(EXPR _s "${_t1} - ${_t0}")
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "equiv ${MODULE}: ${what} failed or ran past ${EQUIV_TIME_LIMIT_S} s (result ${_rc}, log ${log})")
  endif()
  set(_secs ${_s} PARENT_SCOPE)
endfunction()

configure_file(${_here}/synth.ys.in ${DIR}/synth.ys @ONLY)
_run("synthesis" ${YOSYS} "-q;-l;${DIR}/synth.log;${DIR}/synth.ys" ${DIR}/synth.out)
set(_synth_s ${_secs})
file(READ ${STAT} _stat)
string(REGEX MATCH "Number of cells: +([0-9]+)" _m "${_stat}")
set(_cells ${CMAKE_MATCH_1})
configure_file(${_here}/equiv_block.ys.in ${DIR}/miter.ys @ONLY)
_run("building the miter" ${YOSYS} "-q;-l;${DIR}/miter.log;${DIR}/miter.ys" ${DIR}/miter.out)
file(WRITE ${DIR}/prove.abc "read_aiger ${MITER}\nprint_stats\nstrash\niprove -v\n")
_run("ABC" ${ABC_BIN} "-F;${DIR}/prove.abc" ${DIR}/abc.log)
file(READ ${DIR}/abc.log _abc)
if(NOT _abc MATCHES "UNSATISFIABLE")
  message(FATAL_ERROR "equiv ${MODULE}: the netlist is NOT proved equivalent to the RTL (${DIR}/abc.log)")
endif()
string(REGEX MATCH "and = +([0-9]+)" _m "${_abc}")
message("[equiv] ${MODULE} (${MODULE_PARAMS}): ${_cells}-cell sky130 netlist (synthesis ${_synth_s} s) proved "
        "equivalent to its RTL: miter of ${CMAKE_MATCH_1} AND nodes UNSATISFIABLE in ${_secs} s")
