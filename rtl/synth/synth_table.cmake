# Collects the synthesis reports (<DIR>/*/report.json, written by synth_unit.cmake) into <DIR>/units.md, a Markdown
# table: one row per synthesized unit configuration, sorted by name.  cmake -DDIR=<build>/rtl/synth -P synth_table.cmake
file(GLOB _reports ${DIR}/*/report.json)
list(SORT _reports)
set(_rows "")
set(_lib "")
set(_clock "")
foreach(_r IN LISTS _reports)
  file(READ ${_r} _j)
  foreach(_f unit params synth_wall_s cells area_um2 flops critical_path_ns fmax_mhz critical_from critical_to liberty
             clock_ns)  # as written (string(JSON) would turn the numbers into doubles)
    string(REGEX MATCH "\"${_f}\": \"?([^\",}]*)" _m "${_j}")
    set(_${_f} "${CMAKE_MATCH_1}")
  endforeach()
  string(REGEX MATCH "DEPTH=([0-9]+)" _m "${_params}")
  set(_depth "${CMAKE_MATCH_1}")
  if(_depth STREQUAL "" AND _params MATCHES "SCALE=")
    set(_depth 1)  # the block dot default
  elseif(_depth STREQUAL "")
    set(_depth "-")
  endif()
  string(REGEX REPLACE "\\.[0-9]*$" "" _area "${_area_um2}")
  string(APPEND _rows "| ${_unit} | ${_depth} | ${_synth_wall_s} | ${_cells} | ${_area} | ${_flops} | "
                      "${_critical_path_ns} | ${_fmax_mhz} | `${_critical_from}` → `${_critical_to}` |\n")
  set(_lib ${_liberty})
  set(_clock ${_clock_ns})
endforeach()
file(WRITE ${DIR}/units.md.tmp
  "Synthesis of the RTL units: Yosys + ABC onto ${_lib}, OpenSTA with a ${_clock} ns ideal clock, inputs and outputs "
  "at the clock edge, the liberty's default wire-load model (rtl/synth/).\n\n"
  "| unit | depth | synthesis (s) | cells | area (um^2) | flip-flops | critical path (ns) | max clock (MHz) | "
  "critical path from → to |\n|---|---|---|---|---|---|---|---|---|\n${_rows}")
file(RENAME ${DIR}/units.md.tmp ${DIR}/units.md)
message("[synth] table of ${DIR}/*/report.json: ${DIR}/units.md")
