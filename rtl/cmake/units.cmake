# The RTL unit catalog (rtl/units.json) drives the build. Included from rtl/CMakeLists.txt:
#   mxlab_rtl_read_catalog()          parse the catalog, write the C++ catalog entries (generated/unit_catalog.inc)
#   mxlab_rtl_verilate_catalog(...)   verilate every unit, write the Verilated-class X-macros and the lint top
#   mxlab_rtl_verilate_systemc(...)   verilate some units again as SystemC modules (the accelerator's RTL PEs, sim/pe)
# A unit is one entry in units.json; nothing else lists units by hand.

set(MXLAB_RTL_CATALOG ${CMAKE_CURRENT_SOURCE_DIR}/units.json)
set(MXLAB_RTL_UNIT_KINDS block_dot int_mac vq_mac)
# SV parameters each kind's module takes from the catalog fields (further ones come from the unit's "params").
set(_mxlab_derived_block_dot N ELEM_A ELEM_B SCALE)
set(_mxlab_derived_int_mac N ELEM_A ELEM_B)
set(_mxlab_derived_vq_mac N)
# Bits of the lint top's a/b buses each kind takes (the buses are as wide as the widest unit needs).
set(_mxlab_bus_block_dot "@P_N@ * 8")
set(_mxlab_bus_int_mac "@P_N@ * 8")
set(_mxlab_bus_vq_mac "@P_N@ * @P_D@ * 8")
# Lint-top instance of each kind: the unit's module, its SV parameters, ports on slices of the top's buses.
set(_mxlab_lint_block_dot [=[
  // @NAME@: @DOC@
  @TOP@ #(@SV_PARAMS@) u_@NAME@ (
      .clk, .rst_n, .in_valid, .in_ready(ready[@I@]), .in_clear, .in_sel_a(sel_a), .in_sel_b(sel_b),
      .in_a(a[@P_N@*8-1:0]), .in_b(b[@P_N@*8-1:0]), .in_xa(xa[mxlab_formats_pkg::SCALE_@SCALE_NAME@_BITS-1:0]),
      .in_xb(xb[mxlab_formats_pkg::SCALE_@SCALE_NAME@_BITS-1:0]), .in_alpha(alpha), .out_valid(valid[@I@]), .out_ready,
      .out_acc(y[@I@*32+:32]), .out_flags(f[@I@*5+:5]));
]=])
set(_mxlab_lint_int_mac [=[
  // @NAME@: @DOC@
  @TOP@ #(@SV_PARAMS@) u_@NAME@ (
      .clk, .rst_n, .in_valid, .in_ready(ready[@I@]), .in_clear, .in_a(a[@P_N@*8-1:0]), .in_b(b[@P_N@*8-1:0]),
      .out_valid(valid[@I@]), .out_ready, .out_acc(y[@I@*32+:32]));
  assign f[@I@*5+:5] = '0;
]=])
set(_mxlab_lint_vq_mac [=[
  // @NAME@: @DOC@
  @TOP@ #(@SV_PARAMS@) u_@NAME@ (
      .clk, .rst_n, .cb_we(sel_a[0]), .cb_addr(xa[@P_IDX_BITS@-1:0]), .cb_data(a[@P_D@*8-1:0] ^ b[@P_D@*8-1:0]),
      .in_valid, .in_ready(ready[@I@]), .in_clear, .in_idx(b[@P_N@*@P_IDX_BITS@-1:0]),
      .in_x(a[@P_N@*@P_D@*8-1:0]), .out_valid(valid[@I@]), .out_ready, .out_acc(y[@I@*32+:32]));
  assign f[@I@*5+:5] = '0;
]=])

function(_mxlab_json out)  # _mxlab_json(<out> <path...>): a catalog field; fatal error naming the field if absent
  string(JSON _v ERROR_VARIABLE _err GET "${_mxlab_catalog_text}" ${ARGN})
  if(_err)
    string(JOIN "." _path ${ARGN})
    message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: missing or bad field '${_path}': ${_err}")
  endif()
  set(${out} "${_v}" PARENT_SCOPE)
endfunction()

# Element set of one side: a JSON list of element names, or a string naming a format family.
# Sets _u_<name>_<side> (names) or _u_<name>_<side>_family, and the C++ expression _cxx.
macro(_mxlab_read_elems name i side)
  string(JSON _type ERROR_VARIABLE _err TYPE "${_mxlab_catalog_text}" units ${i} elems_${side})
  set(_u_${name}_${side} "")
  set(_u_${name}_${side}_family "")
  if(_type STREQUAL "STRING")
    _mxlab_json(_u_${name}_${side}_family units ${i} elems_${side})
    set(_cxx "family_elems(Family::${_u_${name}_${side}_family})")
  elseif(_type STREQUAL "ARRAY")
    string(JSON _n LENGTH "${_mxlab_catalog_text}" units ${i} elems_${side})
    if(_n EQUAL 0)
      message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: unit ${name}: elems_${side} is empty")
    endif()
    set(_cxx "")
    math(EXPR _elast "${_n} - 1")
    foreach(_ek RANGE ${_elast})
      _mxlab_json(_e units ${i} elems_${side} ${_ek})
      list(APPEND _u_${name}_${side} ${_e})
      list(APPEND _cxx "Elem::${_e}")
    endforeach()
    list(JOIN _cxx ", " _cxx)
    set(_cxx "{${_cxx}}")
  else()
    message(FATAL_ERROR
            "${MXLAB_RTL_CATALOG}: unit ${name}: elems_${side} must be a list of element names or a family name")
  endif()
endmacro()

# Reads the catalog into MXLAB_RTL_UNITS (names, catalog order), MXLAB_RTL_UNITS_<kind> and _u_<name>_<field>,
# and writes the C++ catalog entries that rtl/models/units.cpp compiles in.
macro(mxlab_rtl_read_catalog)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${MXLAB_RTL_CATALOG})
  file(READ ${MXLAB_RTL_CATALOG} _mxlab_catalog_text)
  string(JSON _count ERROR_VARIABLE _err LENGTH "${_mxlab_catalog_text}" units)
  if(_err OR _count EQUAL 0)
    message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: expected a non-empty 'units' list (${_err})")
  endif()
  set(MXLAB_RTL_UNITS "")
  foreach(_kind IN LISTS MXLAB_RTL_UNIT_KINDS)
    set(MXLAB_RTL_UNITS_${_kind} "")
  endforeach()
  set(_entries "")
  math(EXPR _last "${_count} - 1")
  foreach(_i RANGE ${_last})
    _mxlab_json(_name units ${_i} name)
    if(NOT _name MATCHES "^[a-z][a-z0-9_]*$" OR _name IN_LIST MXLAB_RTL_UNITS)
      message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: unit name '${_name}' is not a unique lower-case identifier")
    endif()
    list(APPEND MXLAB_RTL_UNITS ${_name})
    foreach(_field kind top lanes doc)
      _mxlab_json(_u_${_name}_${_field} units ${_i} ${_field})
    endforeach()
    if(NOT _u_${_name}_lanes MATCHES "^[1-9][0-9]*$")
      message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: unit ${_name}: lanes '${_u_${_name}_lanes}' is not a positive integer")
    endif()
    set(_kind ${_u_${_name}_kind})
    if(NOT _kind IN_LIST MXLAB_RTL_UNIT_KINDS)
      message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: unit ${_name}: kind '${_kind}' is not one of ${MXLAB_RTL_UNIT_KINDS}")
    endif()
    list(APPEND MXLAB_RTL_UNITS_${_kind} ${_name})
    string(JSON _u_${_name}_scale ERROR_VARIABLE _err GET "${_mxlab_catalog_text}" units ${_i} scale)
    if(_err)
      set(_u_${_name}_scale "")
    endif()
    if((_kind STREQUAL "block_dot" AND _u_${_name}_scale STREQUAL "")
       OR (NOT _kind STREQUAL "block_dot" AND NOT _u_${_name}_scale STREQUAL ""))
      message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: unit ${_name}: 'scale' is required for block_dot units only")
    endif()
    _mxlab_read_elems(${_name} ${_i} a)
    set(_cxx_a "${_cxx}")
    _mxlab_read_elems(${_name} ${_i} b)
    set(_cxx_b "${_cxx}")
    set(_u_${_name}_params "")  # NAME=VALUE, further SV parameters
    set(_cxx_params "")
    string(JSON _np ERROR_VARIABLE _err LENGTH "${_mxlab_catalog_text}" units ${_i} params)
    if(NOT _err AND _np GREATER 0)
      math(EXPR _plast "${_np} - 1")
      foreach(_k RANGE ${_plast})
        string(JSON _p MEMBER "${_mxlab_catalog_text}" units ${_i} params ${_k})
        _mxlab_json(_v units ${_i} params ${_p})
        if(NOT _p MATCHES "^[A-Z][A-Z0-9_]*$" OR NOT _v MATCHES "^-?[0-9]+$")
          message(FATAL_ERROR "${MXLAB_RTL_CATALOG}: unit ${_name}: parameter ${_p} = '${_v}' is not NAME = integer")
        endif()
        list(APPEND _u_${_name}_params "${_p}=${_v}")
        list(APPEND _cxx_params "{\"${_p}\", ${_v}}")
      endforeach()
    endif()
    list(JOIN _cxx_params ", " _cxx_params)
    set(_cxx_scale "")
    if(NOT _u_${_name}_scale STREQUAL "")
      set(_cxx_scale " .scale = ScaleType::${_u_${_name}_scale},")
    endif()
    set(_cxx_ts "")  # block_dot TSCALE = 1: the tensor-scale epilogue (vectors carry alpha)
    if("TSCALE=1" IN_LIST _u_${_name}_params)
      set(_cxx_ts " .tensor_scale = true,")
    endif()
    string(APPEND _entries
      "// ${_u_${_name}_doc}\n"
      "{.name = \"${_name}\", .kind = UnitKind::${_kind}, .top = \"${_u_${_name}_top}\",\n"
      " .stim = {.n = ${_u_${_name}_lanes},${_cxx_scale} .elems_a = ${_cxx_a}, .elems_b = ${_cxx_b},${_cxx_ts}},\n"
      " .params = {${_cxx_params}}},\n")
  endforeach()
  file(CONFIGURE OUTPUT ${MXLAB_RTL_GEN_DIR}/unit_catalog.inc CONTENT
    "// GENERATED from rtl/units.json by rtl/cmake/units.cmake: do not edit. One UnitConfig per unit.\n${_entries}"
    @ONLY)
endmacro()

# Reads the element and scale ids (ELEM_*/SCALE_* constants) of the generated package into _id_<ELEM|SCALE>_<NAME>.
macro(_mxlab_read_pkg_ids)
  file(STRINGS ${MXLAB_RTL_PKG} _lines REGEX "localparam integer (ELEM|SCALE)_[A-Z0-9_]+ = [0-9]+;")
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "(ELEM|SCALE)_([A-Z0-9_]+) = ([0-9]+);")
      set(_id_${CMAKE_MATCH_1}_${CMAKE_MATCH_2} ${CMAKE_MATCH_3})
    endif()
  endforeach()
endmacro()

# SV parameters of catalog unit NAME as a list of NAME=VALUE: the kind's parameters derived from the catalog fields
# (element and scale ids from _mxlab_read_pkg_ids), then the unit's "params". Used by verilation and synthesis.
function(mxlab_rtl_unit_params NAME out)
  set(P_N ${_u_${NAME}_lanes})
  foreach(_side a b)
    string(TOUPPER ${_side} _S)
    list(LENGTH _u_${NAME}_${_side} _n)
    if(NOT _u_${NAME}_${_side}_family STREQUAL "" OR _n GREATER 1)
      set(P_ELEM_${_S} ${_id_ELEM_ANY})
    else()
      string(TOUPPER "${_u_${NAME}_${_side}}" _e)
      if(NOT DEFINED _id_ELEM_${_e})
        message(FATAL_ERROR "unit ${NAME}: element '${_u_${NAME}_${_side}}' is not in ${MXLAB_RTL_PKG} "
                            "(rebuild mxlab_rtl_pkg after adding a format, then re-run cmake)")
      endif()
      set(P_ELEM_${_S} ${_id_ELEM_${_e}})
    endif()
  endforeach()
  string(TOUPPER "${_u_${NAME}_scale}" _s)
  set(P_SCALE "${_id_SCALE_${_s}}")
  set(_all "")
  foreach(_p IN LISTS _mxlab_derived_${_u_${NAME}_kind})
    if(P_${_p} STREQUAL "")
      message(FATAL_ERROR "unit ${NAME}: SV parameter ${_p} has no value (scale '${_u_${NAME}_scale}' unknown?)")
    endif()
    list(APPEND _all "${_p}=${P_${_p}}")
  endforeach()
  list(APPEND _all ${_u_${NAME}_params})
  set(${out} "${_all}" PARENT_SCOPE)
endfunction()

# Verilates every catalog unit into `target` (prefix Vmxlab_<name>; SV parameters from mxlab_rtl_unit_params),
# then writes ${MXLAB_RTL_INC_DIR}/rtl/verilator/verilated_units.hpp (the Verilated headers of `harness_prefixes`
# and of every unit, and one X-macro per kind: MXLAB_RTL_<KIND>_UNITS(X), X(name, Verilated class, "SV parameters"))
# and ${MXLAB_RTL_GEN_DIR}/mxlab_rtl_lint_top.sv (every unit once, for Verilator lint and Yosys).
function(mxlab_rtl_verilate_catalog target harness_prefixes)
  _mxlab_read_pkg_ids()
  foreach(_kind IN LISTS MXLAB_RTL_UNIT_KINDS)
    set(_xmacro_${_kind} "")
  endforeach()
  set(_includes "")
  foreach(_prefix IN LISTS harness_prefixes)
    string(APPEND _includes "#include \"${_prefix}.h\"\n")
  endforeach()
  set(_instances "")
  set(W 8)
  set(I 0)
  foreach(NAME IN LISTS MXLAB_RTL_UNITS)
    set(_kind ${_u_${NAME}_kind})
    mxlab_rtl_unit_params(${NAME} _all)
    set(_gparams "")
    set(SV_PARAMS "")
    foreach(_pv IN LISTS _all)  # P_<param> for the lint-top templates
      string(REPLACE "=" ";" _pair "${_pv}")
      list(GET _pair 0 _p)
      list(GET _pair 1 P_${_p})
      list(APPEND _gparams "-G${_pv}")
      list(APPEND SV_PARAMS ".${_p}(${P_${_p}})")
    endforeach()
    list(JOIN SV_PARAMS ", " SV_PARAMS)
    list(JOIN _all " " _all_text)
    verilate(${target} PREFIX Vmxlab_${NAME} TOP_MODULE ${_u_${NAME}_top} SOURCES ${MXLAB_RTL_SOURCES}
             VERILATOR_ARGS ${MXLAB_VERILATOR_ARGS} ${_gparams})
    set(MXLAB_RTL_VERILATE_${NAME} "${_u_${NAME}_top};${_gparams}" CACHE INTERNAL "top module and -G parameters")
    string(APPEND _includes "#include \"Vmxlab_${NAME}.h\"\n")
    string(APPEND _xmacro_${_kind} " \\\n  X(${NAME}, Vmxlab_${NAME}, \"${_all_text}\")")
    set(TOP ${_u_${NAME}_top})
    string(TOUPPER "${_u_${NAME}_scale}" SCALE_NAME)
    set(DOC ${_u_${NAME}_doc})
    string(CONFIGURE "${_mxlab_lint_${_kind}}" _inst @ONLY)
    string(APPEND _instances "${_inst}")
    string(CONFIGURE "${_mxlab_bus_${_kind}}" _bus @ONLY)
    math(EXPR _bus "${_bus}")
    if(_bus GREATER W)
      set(W ${_bus})
    endif()
    foreach(_pv IN LISTS _all)  # the next unit sees only its own parameters
      string(REGEX REPLACE "=.*" "" _p "${_pv}")
      unset(P_${_p})
    endforeach()
    math(EXPR I "${I} + 1")
  endforeach()
  set(_xmacros "")
  foreach(_kind IN LISTS MXLAB_RTL_UNIT_KINDS)
    string(TOUPPER ${_kind} _K)
    string(APPEND _xmacros "#define MXLAB_RTL_${_K}_UNITS(X)${_xmacro_${_kind}}\n")
  endforeach()
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/verilator/verilated_units.hpp.in
                 ${MXLAB_RTL_INC_DIR}/rtl/verilator/verilated_units.hpp @ONLY)
  set(MXLAB_RTL_VERILATE_SOURCES ${MXLAB_RTL_SOURCES} CACHE INTERNAL "SV sources of the units")
  set(MXLAB_RTL_VERILATE_ARGS ${MXLAB_VERILATOR_ARGS} CACHE INTERNAL "Verilator arguments of the units")
  set(U ${I})
  set(INSTANCES "${_instances}")
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/sv/mxlab_rtl_lint_top.sv.in ${MXLAB_RTL_GEN_DIR}/mxlab_rtl_lint_top.sv
                 @ONLY)
endfunction()

# Verilates catalog units NAMES... into `target` as SystemC modules (Verilator --sc, prefix Vmxlab_sc_<name>; the same
# sources and SV parameters as mxlab_rtl_verilate_catalog, which must have run): the RTL PEs of the accelerator (sim/pe).
function(mxlab_rtl_verilate_systemc target)
  foreach(NAME IN LISTS ARGN)
    if(NOT DEFINED MXLAB_RTL_VERILATE_${NAME})
      message(FATAL_ERROR "mxlab_rtl_verilate_systemc: '${NAME}' is not a verilated catalog unit")
    endif()
    set(_gparams ${MXLAB_RTL_VERILATE_${NAME}})
    list(POP_FRONT _gparams _top)
    verilate(${target} SYSTEMC PREFIX Vmxlab_sc_${NAME} TOP_MODULE ${_top} SOURCES ${MXLAB_RTL_VERILATE_SOURCES}
             VERILATOR_ARGS ${MXLAB_RTL_VERILATE_ARGS} ${_gparams})
  endforeach()
endfunction()
