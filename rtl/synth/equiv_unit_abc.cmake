# METHOD=abc of equiv_unit.cmake (included from it, after the optional mutation; not a script of its own): the RTL
# (or, GOLD=generic, GOLD_FILE: the generic netlist before ABC) and ${GATE} are paired by name and proved equal by
# yosys-abc in three steps.
#   1. equiv_pair.ys.in: both designs (the gold with one flip-flop per bit and one name per net, as the netlist),
#      equiv_make pairs same-named signals (registers keep their RTL names through synthesis) and routes the readers
#      of each pair to its gold signal; writes the paired module and its combinational view, in which every paired
#      register is cut (a free input read by both designs; its pair compares the next-state functions) and every
#      other flip-flop is a free input. A gold register that synthesis merged into another of its word or into a
#      constant (no partner of its name: the sign-extension bits of a partial sum) is read as that partner in the
#      gold, as in the netlist, and becomes a pair <name>_merged of its own that compares its next state with the
#      partner's (equiv_merge.cmake: a second run of the script; a partner that step 2 does not prove is replaced by
#      the next candidate, in one more round of steps 1 and 2, and with none left the register stays unpaired).
#   2. The pairs are grouped by name (a register, port or net: its bits), and each group's combinational miter is
#      proved by SAT (iprove) or, when that is undecided, by BDDs (collapse: the miter's global function is built
#      with variable reordering and must be constant 0; adder trees that defeat SAT have small BDDs; a block dot's
#      adder-tree cut g_cut[l].u_r.d first by algebra against the RTL's adders, else through a running-sum chain,
#      equiv_sum_tree.cmake). A group proved here agrees on every cycle in which all pairs agree, from ANY state; its
#      comparison leaves the next step.
#   3. equiv_seq.ys.in: the sequential miter of the paired module for the groups step 2 did not prove (a group that
#      differs only in states the design never reaches: FIFO pointers, the RTL's undefined bits), from the reset
#      state, unreset data registers cut to free inputs; dprove proves its output 0 in every cycle. When dprove is
#      undecided but its reduced miter has no latches left (every register proved equal to another or constant by
#      signal correspondence), iprove proves that combinational miter (output 0 for every input).
# Sound: by induction over the cycles after reset, where all pairs agree (the registers start at their reset value):
# the groups of step 2 agree in the next cycle whatever the state, those of step 3 agree in every reachable run of the
# miter, and any pair of real runs is such a run. So the netlist's outputs and same-named registers and nets equal the
# RTL's in every cycle after reset, for any contents of the unreset registers and any value of the RTL's undefined
# bits; a merged register holds its partner's value (the pair <name>_merged keeps it so from one cycle to the next; at
# power-up the RTL's unreset registers are undefined, and the netlist's one register, or constant, is a choice of
# their values; a gold register made a constant in step 1, its next state that constant, likewise). Proved: every
# group proved in step 2 and the miter of step 3 (or no group left); a mutant must be refuted by a counterexample of
# step 3 ("Output 0 ... was asserted in frame N"; a combinational difference alone may lie in an unreachable state);
# anything else (UNDECIDED, time limit) fails the test.
get_filename_component(_yosys_dir ${YOSYS} DIRECTORY)
find_program(ABC_BIN yosys-abc HINTS ${_yosys_dir})
if(NOT ABC_BIN)
  message(FATAL_ERROR "equiv ${UNIT}: yosys-abc (installed with yosys) not found")
endif()
set(SEQ_MAP ${_here}/equiv_seq_map.v)
set(COMB_MAP ${_here}/equiv_comb_map.v)
set(CUT_SCRIPT ${_here}/equiv_cut.ys)
# the combinational miters of step 2 (the groups and equiv_sum_tree.cmake's cut) lowered to an AIG alike: the RTL's
# undefined bits 0, as in the sequential miter (equiv_seq.ys.in); a file name follows
set(_TO_AIG "opt_clean\ntechmap\nopt_clean\nsetundef -zero -init\naigmap\nopt_clean\nwrite_aiger -zinit")
# a netlist's liberty cells replaced by their models (read_liberty before), one flat module
set(LIBERTY_CELLS "hierarchy -check -top ${TOP}\nflatten\n# hide the liberty models' internal wires (<instance>.<pin>, "
    "e.g. a flip-flop's IQ): nets keep the netlist's names\nrename -hide w:* a:hdlname %i")
string(CONCAT LIBERTY_CELLS ${LIBERTY_CELLS})
# the gold, one flat module (also the wide block dot lane, kept apart for synthesis: keep_hierarchy): the RTL
# elaborated, or (GOLD_FILE) the generic netlist before ABC, its flip-flops liberty cells. The generic netlist's nets
# are named as synthesis named them in the final netlist (opt_clean -purge as after ABC, the liberty cells not yet
# read: of a register's aliases, the one the netlist has), one wire per bit as there, and no name stays on a bit that
# nothing drives or reads (`abc -fast` leaves the names of nets it no longer computes, such as partial sums merged into
# the adder tree); its hierarchical names (hdlname) are net names, not model internals. A bit it leaves undefined (x)
# is a free input in every cycle ($anyseq) under a hidden name: a name on it is no obligation.
# SAT's time per group of step 2: against the RTL 15 s (what SAT does not decide there, BDDs or the chain may);
# against the generic netlist 300 s (SAT sweeping finds ABC's own internal equivalences, given the time: mx_dot_any's
# lane products, a 150k-AND miter, take 26 CPU-s)
if(GOLD_FILE)
  set(GOLD_READ "read_rtlil ${GOLD_FILE}\nsetattr -mod -unset keep_hierarchy\nopt_clean -purge\n"
      "attrmap -remove hdlname\nsplitnets\nopt_clean -purge\nsetundef -undriven -anyseq\n"
      "rename -hide t:$anyseq %co:+[Y] w:* %i\nread_liberty -ignore_miss_func ${LIBERTY}\n${LIBERTY_CELLS}")
  set(_sat_limit_s 300)
else()
  set(GOLD_READ "read_verilog -sv ${SOURCES}\nchparam ${CHPARAMS} ${TOP}\nhierarchy -check -top ${TOP}\nproc\n"
      "setattr -mod -unset keep_hierarchy\nflatten\nmemory_collect\nmemory_map")
  set(_sat_limit_s 15)
endif()
string(CONCAT GOLD_READ ${GOLD_READ})
set(WORK ${_work})
set(PAIRS ${_work}/pairs.txt)
set(COUNTS ${_work}/counts.txt)
set(MITER ${_work}/miter.aig)
string(TIMESTAMP _t0 "%s" UTC)
function(_yosys step script)
  execute_process(COMMAND ${YOSYS} -q -l ${_work}/${step}.log ${script} TIMEOUT ${EQUIV_TIME_LIMIT_S}
                  RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "equiv ${UNIT}: Yosys ${step} failed (result ${_rc}; log: ${_work}/${step}.log)")
  endif()
endfunction()
# ABC on one miter: sets _abc (its log) and _abc_rc; a run past the time limit counts as undecided
function(_abc name commands timeout)
  file(WRITE ${_work}/${name}.abc "${commands}")
  execute_process(COMMAND ${ABC_BIN} -F ${_work}/${name}.abc TIMEOUT ${timeout} RESULT_VARIABLE _rc
                  OUTPUT_FILE ${_work}/${name}.log ERROR_FILE ${_work}/${name}.log WORKING_DIRECTORY ${_work})
  file(READ ${_work}/${name}.log _log)
  set(_abc "${_log}" PARENT_SCOPE)
  set(_abc_rc "${_rc}" PARENT_SCOPE)
endfunction()

# a name as a Yosys selection pattern: the glob brackets of its bit index escaped
function(_sel_pattern out name)
  string(REPLACE "[" "\\[" _s "${name}")
  string(REPLACE "]" "\\]" _s "${_s}")
  set(${out} "${_s}" PARENT_SCOPE)
endfunction()

# step 1: the pairs (run again with the registers merged by synthesis: equiv_merge.cmake)
include(${_here}/equiv_merge.cmake)
include(${_here}/equiv_sum_tree.cmake)
set(UNPAIRED ${_work}/unpaired.txt)
set(GOLD_MERGE "")
set(GATE_MERGE "")
set(MERGE_PAIRS "")
macro(_step1)
  configure_file(${_here}/equiv_pair.ys.in ${_work}/pair.ys @ONLY)
  _yosys(pair ${_work}/pair.ys)
endmacro()
_step1()
_merge_plan(${UNPAIRED} ${PAIRS})
_merge_commands()
if(_merged)
  _step1()
endif()

# step 2: the groups (a name without its last [bit] index), one selection of wires each;
# sets _groups, _sel_<i>, _left_names (the groups left), _seq_select and _what
macro(_step2)
  file(STRINGS ${PAIRS} _names REGEX "^equiv/")
  list(TRANSFORM _names REPLACE "^equiv/" "")
  set(_groups "")
  foreach(_n IN LISTS _names)
    string(REGEX REPLACE "\\[[0-9]+\\]$" "" _g "${_n}")
    list(FIND _groups "${_g}" _i)
    if(_i LESS 0)
      list(LENGTH _groups _i)
      list(APPEND _groups "${_g}")
      set(_sel_${_i} "")
    endif()
    _sel_pattern(_e "${_n}")
    string(APPEND _sel_${_i} " w:${_e}")
  endforeach()
  list(LENGTH _names _npairs)
  list(LENGTH _groups _ngroups)
  if(_ngroups EQUAL 0)
    message(FATAL_ERROR "equiv ${UNIT}: equiv_make paired no signals (log: ${_work}/pair.log)")
  endif()
  math(EXPR _last "${_ngroups} - 1")
  # the miters written by Yosys runs of at most 16 groups each (groups<first group>.ys), each run within the time
  # limit of a step: every group reloads the whole paired module (vq_mac_d4k256: 272 groups of a 58k-cell design)
  foreach(_i RANGE ${_last})
    math(EXPR _run "${_i} % 16")
    if(_run EQUAL 0)
      set(_first ${_i})
      set(_script "read_rtlil ${_work}/comb.il\ndesign -save comb\n")
    endif()
    string(APPEND _script "design -load comb\nselect -set g${_sel_${_i}}\n"
           "equiv_miter -trigger miter @g %ci1 t:$equiv %i\nhierarchy -top miter\nflatten\n"
           "techmap -map ${SEQ_MAP} t:$equiv\ndelete -output w:* w:trigger %d\n"
           "${_TO_AIG} ${_work}/group${_i}.aig\n")
    if(_run EQUAL 15 OR _i EQUAL _last)
      file(WRITE ${_work}/groups${_first}.ys "${_script}")
      _yosys(groups${_first} ${_work}/groups${_first}.ys)
    endif()
  endforeach()
  set(_by_SAT 0)
  set(_by_BDD 0)
  set(_by_chain 0)
  set(_by_algebra 0)
  set(_by_sequential 0)
  set(_left_names "")
  set(_results ${_work}/groups.txt)  # group: how it was proved (SAT, BDD, chain, algebra or sequential)
  file(WRITE ${_results} "")
  set(_seq_select "select -set check")
  foreach(_i RANGE ${_last})
    set(_aig ${_work}/group${_i}.aig)
    list(GET _groups ${_i} _g)
    set(_how sequential)
    _abc(group${_i}_sat "read_aiger ${_aig}\nstrash\niprove\n" ${_sat_limit_s})
    if(_abc_rc EQUAL 0 AND _abc MATCHES "UNSATISFIABLE")
      set(_how SAT)
    elseif(NOT _abc MATCHES "(^|\n)SATISFIABLE")
      if(_g MATCHES "^g_cut\\[([1-9][0-9]*)\\]\\.u_r\\.d$")
        _sum_tree_proof(${_i} ${CMAKE_MATCH_1})  # a block dot's adder-tree cut (equiv_sum_tree.cmake)
        message("[equiv] ${UNIT}: ${_g}: ${_sum_what}")
        if(_sum_ok)
          set(_how ${_sum_how})
        endif()
      endif()
      if(_how STREQUAL "sequential")
        # after collapse the miter is its BDD: a constant 0 output is proved by iprove at once
        _abc(group${_i}_bdd "read_aiger ${_aig}\nstrash\ncollapse -B 20000000\nstrash\niprove\n" 120)
        if(_abc_rc EQUAL 0 AND _abc MATCHES "UNSATISFIABLE")
          set(_how BDD)
        endif()
      endif()
    endif()
    file(APPEND ${_results} "${_g}: ${_how}\n")
    math(EXPR _by_${_how} "${_by_${_how}} + 1")
    if(_how STREQUAL "sequential")
      list(APPEND _left_names "${_g}")
      string(APPEND _seq_select "${_sel_${_i}}")
    endif()
  endforeach()
  set(_nleft ${_by_sequential})
  set(_what "${_npairs} pairs in ${_ngroups} groups: ${_by_SAT} proved by SAT, ${_by_BDD} by BDD")
  string(APPEND _what ", ${_by_chain} as a chain, ${_by_algebra} by algebra")
endmacro()
_step2()
# a merged register whose pair step 2 did not prove takes its next candidate partner, or none
while(TRUE)
  set(_failed "")
  foreach(_g IN LISTS _left_names)
    if(_g MATCHES "_merged$")
      list(APPEND _failed "${_g}")
    endif()
  endforeach()
  if(NOT _failed)
    break()
  endif()
  _merge_reject("${_failed}")
  _merge_commands()
  _step1()
  _step2()
endwhile()
if(_merged)
  message("[equiv] ${UNIT}: registers merged by synthesis: ${_merged}")
endif()

# step 3: the sequential miter of the groups left
set(_proved_ok FALSE)
set(_refuted FALSE)
if(_nleft EQUAL 0)
  set(_proved_ok TRUE)
  string(APPEND _what ", none left")
  set(_log ${_work}/groups.txt)
else()
  string(APPEND _seq_select "\nselect -set check @check %ci1 t:$equiv %i")
  set(SEQ_SELECT "${_seq_select}")
  configure_file(${_here}/equiv_seq.ys.in ${_work}/miter.ys @ONLY)
  _yosys(miter ${_work}/miter.ys)
  file(STRINGS ${COUNTS} _counts REGEX "objects")
  list(TRANSFORM _counts REPLACE "[^0-9]" "")
  list(GET _counts 0 _ncut)
  list(GET _counts 1 _ndirect)
  file(REMOVE ${_work}/sm01.aig)
  _abc(abc "read_aiger ${MITER}\nprint_stats\nstrash\ndprove -v\n" ${EQUIV_TIME_LIMIT_S})
  set(_stats "")
  if(_abc MATCHES "i/o = +([0-9]+)/ +[0-9]+ +lat = +([0-9]+) +and = +([0-9]+)")
    set(_stats "${CMAKE_MATCH_1} inputs, ${CMAKE_MATCH_2} latches, ${CMAKE_MATCH_3} ANDs")
  endif()
  list(JOIN _left_names ", " _left_list)
  string(APPEND _what ", ${_nleft} left (${_left_list}) to the sequential miter (${_ncut} unreset register bits cut, "
         "${_ndirect} kept; ${_stats})")
  set(_log ${_work}/abc.log)
  if(_abc_rc EQUAL 0 AND _abc MATCHES "Networks are equivalent")
    set(_proved_ok TRUE)
  endif()
  if(_abc MATCHES "(asserted in frame [0-9]+)")
    set(_refuted TRUE)
    set(_what "${CMAKE_MATCH_1}; ${_what}")
  endif()
  # dprove writes its reduced miter only when UNDECIDED; one without latches (signal correspondence proved every
  # register equal to another or constant) is a combinational miter, its output 0 in every cycle iff 0 for every input
  if(EXISTS ${_work}/sm01.aig)
    _abc(reduced "read_aiger ${_work}/sm01.aig\nprint_stats\nstrash\niprove\n" ${EQUIV_TIME_LIMIT_S})
    if(_abc MATCHES "lat = +0 +and = +([0-9]+)")
      string(APPEND _what "; its reduced miter (dprove) has no latches and ${CMAKE_MATCH_1} ANDs")
      if(_abc_rc EQUAL 0 AND _abc MATCHES "UNSATISFIABLE")
        set(_proved_ok TRUE)
        string(APPEND _what ", proved by SAT")
      endif()
      set(_log ${_work}/reduced.log)
    endif()
  endif()
endif()
string(TIMESTAMP _t1 "%s" UTC)
math(EXPR _secs "${_t1} - ${_t0}")
_equiv_verdict(${_proved_ok} ${_refuted} "${_what}; ${_secs} s wall" ${_log})
