# VIA=noabc of equiv_unit.cmake (included from it; not a script of its own): the final netlist against the RTL in two
# proofs of the ABC method (equiv_unit_abc.cmake) through an intermediate netlist I of Yosys's own: the sources through
# `synth -flatten -noabc` and `dfflibmap` (synth.ys.in's flow without `abc -fast` and the liberty mapping; every
# module flattened; one wire per bit, and, as after ABC in synth.ys.in, no name left on a bit that nothing reads: Yosys
# keeps a wire's name when part of it is read, the rest undefined or constant where the RTL computes it); the names
# of the nets that its logic gates drive hidden but a block dot's pipeline cuts (g_cut[l].u_r.d, u_scaled.d,
# u_norm.d, registers or not): as in the final netlist, the pairs are the registers, the ports and, here, the lane
# products, the block sum and the scaled block sum (a multiplier of its own group; step 2 proves each group's
# next-state function with every other pair a free input, so a pair on every net of the RTL left groups that differ
# only where two such inputs disagree, e.g. u_acc.a_ge and the sign of u_acc.d_ab). In I the block sum of a DEPTH-1
# block dot is still a net (g_cut[L].u_r.d, as in the RTL) and its adder tree maccmap's carry-save tree, which
# equiv_sum_alg.py proves against the RTL's; in the final netlist ABC has merged the sum into its normalization, out
# of reach of a proof against the RTL in one step.
#   1. I against the RTL (I the gate: <dir>/equiv_via_rtl/);
#   2. the final netlist against I (I the gold, as the generic netlist of GOLD=generic: <dir>/equiv_via_noabc/).
# Each proves its netlist's outputs and same-named registers equal to its gold's in every cycle after reset (for any
# contents of the registers without reset); the registers paired in step 2 are the flip-flops of I, whose names are
# the RTL's: so the final netlist's outputs equal the RTL's. MUTATE=ON: step 2 alone (the mutation is in the final
# netlist), which must refute it (<dir>/equiv_via_noabc_mutant/). I: <dir>/equiv_via[_mutant]/<unit>_noabc.{il,v}.
set(_sfx "")
if(MUTATE)
  set(_sfx _mutant)  # its own directories: a mutant's proof may run beside the unit's
endif()
set(_via ${DIR}/equiv_via${_sfx})
file(REMOVE_RECURSE ${_via})
file(MAKE_DIRECTORY ${_via})
set(_noabc ${_via}/${UNIT}_noabc)
file(WRITE ${_via}/noabc.ys
     "read_verilog -sv ${SOURCES}\nchparam ${CHPARAMS} ${TOP}\nhierarchy -check -top ${TOP}\n"
     "setattr -mod -unset keep_hierarchy\nsynth -flatten -noabc\nrename -top ${TOP}\n"
     "rename -wire -suffix _reg t:$_*DFF*\ndfflibmap -liberty ${LIBERTY}\nsplitnets -ports\nopt_clean -purge\n"
     "rename -hide t:$_* %co1:+[Y] w:* %i x:* %d w:g_cut* %d w:u_scaled.d* %d w:u_norm.d* %d\n"
     "write_rtlil ${_noabc}.il\n"
     "write_verilog -noattr ${_noabc}.v\n")
string(TIMESTAMP _t0 "%s" UTC)
execute_process(COMMAND ${YOSYS} -q -l ${_via}/noabc.log ${_via}/noabc.ys TIMEOUT ${EQUIV_TIME_LIMIT_S}
                RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "equiv ${UNIT}: Yosys failed to write I (result ${_rc}; log: ${_via}/noabc.log)")
endif()
# one proof (equiv_unit.cmake with ARGN); sets _step_out (its report lines) or fails with them
function(_via_step work)
  execute_process(COMMAND ${CMAKE_COMMAND} -DCONFIG=${CONFIG} -DMETHOD=abc -DEQUIV_TIME_LIMIT_S=${EQUIV_TIME_LIMIT_S}
                          -DWORK_NAME=${work} ${ARGN} -P ${_here}/equiv_unit.cmake
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  string(STRIP "${_out}" _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "equiv ${UNIT} (via I, ${work}): ${_out}")
  endif()
  string(REGEX REPLACE "^.*\n" "" _out "${_out}")  # its verdict, the last line (the rest: in its work directory)
  set(_step_out "${_out}" PARENT_SCOPE)
endfunction()
set(_steps "")
if(NOT MUTATE)
  _via_step(equiv_via_rtl -DGATE_FILE=${_noabc}.v)
  string(APPEND _steps "(1) ${_step_out}\n")
endif()
_via_step(equiv_via_noabc${_sfx} -DGOLD=generic -DGENERIC_FILE=${_noabc}.il -DMUTATE=${MUTATE})
string(APPEND _steps "(2) ${_step_out}")
string(TIMESTAMP _t1 "%s" UTC)
math(EXPR _secs "${_t1} - ${_t0}")
if(MUTATE)
  message("[equiv] ${UNIT} via I: ${_steps}; ${_secs} s wall")
else()
  message("[equiv] ${UNIT}: ${DIR}/${UNIT}_netlist.v proved equivalent to its RTL (${TOP} ${PARAMS}) through I "
          "(${_noabc}.v), ${_secs} s wall:\n${_steps}")
endif()
