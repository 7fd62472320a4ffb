# The adder-tree step of the ABC proof (included from equiv_unit_abc.cmake; not a script of its own): a group
# g_cut[l].u_r.d (l >= 1) of mxlab_block_dot, the tree's level-l partial sums at a pipeline cut, each the exact sum
# of 2^l lane products. SAT finds nothing shared between the RTL's binary tree of adders and synthesis's carry-save
# tree, and the RTL's tree has no small BDD with the inputs lane by lane (its last carries depend on two half-sums
# at once), so the proof goes through a third circuit, a running sum (chain) of the RTL's own lane-product nodes P,
# built by equiv_sum_tree.py:
#   tree(P) == chain(P) for every value of the product bits (free inputs: sums regrouped, BDDs of the few carry
#   states), and netlist(x) == chain(P(x)) for every input (BDDs with the inputs ordered lane by lane, no reordering:
#   a running sum has one partial sum as its state).
# Together netlist == RTL on the group, from any state, as for the groups proved by SAT or BDD in step 2.
# Tried before the chain, with the gold the RTL: the algebraic proof of equiv_sum_alg.py (its docstring states it), on
# two more views of the sources written once per proof: the RTL's word-level cells (sum_alg/rtl.json) and the same
# sources through Yosys's synthesis up to `maccmap` (sum_alg/macc.json); its miter, netlist.aig, proved by SAT.
# Sets _sum_ok (TRUE: proved), _sum_how (algebra or chain) and _sum_what (what was proved, or why not).
find_program(PYTHON3_BIN python3)
function(_sum_tree_proof index level)
  if(NOT PYTHON3_BIN)
    set(_sum_ok FALSE PARENT_SCOPE)
    set(_sum_what "python3 not found" PARENT_SCOPE)
    return()
  endif()
  set(_cut ${_work}/sum${index})
  file(WRITE ${_cut}.ys
       "read_rtlil ${_work}/comb.il\ntechmap -map ${SEQ_MAP} t:$equiv\n"
       "select -set o w:g_cut\\[${level}\\].u_r.d\\[*\\]_gold w:g_cut\\[${level}\\].u_r.d\\[*\\]_gate "
       "w:g_cut\\[0\\].u_r.d\\[*\\]_gold\nsetattr -unset keep\ndelete -output w:*\nexpose @o\n"
       "${_TO_AIG} -map ${_cut}.map ${_cut}.aig\n")
  _yosys(sum${index} ${_cut}.ys)
  # the proof of this cut in sum_<hash>/ (outcome.txt: TRUE or FALSE, the method, what was proved or why not; alg/
  # and chain/: each method's tool output, ABC scripts and logs): a later round of steps 1 and 2 (equiv_merge.cmake)
  # that extracts the same cut takes that outcome instead of proving it again
  file(SHA256 ${_cut}.aig _hash)
  string(SUBSTRING ${_hash} 0 12 _hash)
  set(_dir ${_work}/sum_${_hash})
  set(_again "")
  if(EXISTS ${_dir}/outcome.txt)
    set(_again " (the same cut as in an earlier round)")
  else()
    file(MAKE_DIRECTORY ${_dir})
    set(_alg_ok FALSE)
    set(_alg_what "")
    if(NOT GOLD_FILE)
      _sum_alg_proof(${_cut} ${level} sum_${_hash}/alg)
    endif()
    if(_alg_ok)
      file(WRITE ${_dir}/outcome.txt "TRUE\nalgebra\n${_alg_what}\n")
    else()
      _sum_tree_miters(${_cut} ${level} sum_${_hash}/chain "${_alg_what}")
    endif()
  endif()
  file(READ ${_dir}/outcome.txt _outcome)
  string(REGEX MATCH "^(TRUE|FALSE)\n([a-z]+)\n(.*)\n$" _ "${_outcome}")
  set(_sum_ok ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(_sum_how ${CMAKE_MATCH_2} PARENT_SCOPE)
  set(_sum_what "${CMAKE_MATCH_3}${_again}" PARENT_SCOPE)
endfunction()

# the algebraic proof of a cut into ${_work}/<name>/: sets _alg_ok and _alg_what (what was proved, or why not and a
# separator)
function(_sum_alg_proof cut level name)
  set(_views ${_work}/sum_alg)
  if(NOT EXISTS ${_views}/macc.json)
    file(MAKE_DIRECTORY ${_views})
    file(WRITE ${_views}/views.ys
         "read_verilog -sv ${SOURCES}\nchparam ${CHPARAMS} ${TOP}\nhierarchy -check -top ${TOP}\n"
         "setattr -mod -unset keep_hierarchy\ndesign -save sources\nproc\nflatten\nopt_clean\n"
         "write_json ${_views}/rtl.json\ndesign -load sources\nsynth -flatten -noabc -run begin:fine\n"
         "opt -fast -full\nmemory_map\nopt -full\nmaccmap\nopt_clean\nwrite_json ${_views}/macc.json\n")
    _yosys(sum_alg_views ${_views}/views.ys)
  endif()
  set(_out ${_work}/${name})
  file(MAKE_DIRECTORY ${_out})
  execute_process(COMMAND ${PYTHON3_BIN} ${_here}/equiv_sum_alg.py ${cut}.aig ${cut}.map ${level} ${_views}/rtl.json
                          ${_views}/macc.json ${_out}
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _proved ERROR_VARIABLE _err OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_STRIP_TRAILING_WHITESPACE)
  set(_alg_ok FALSE PARENT_SCOPE)
  if(NOT _rc EQUAL 0)
    set(_alg_what "algebra: ${_err}; " PARENT_SCOPE)
    return()
  endif()
  _abc(${name}/netlist "read_aiger ${_out}/netlist.aig\nprint_stats\nstrash\niprove\n" 300)
  if(NOT (_abc_rc EQUAL 0 AND _abc MATCHES "UNSATISFIABLE"))
    set(_alg_what "algebra: ${_proved}, but the netlist's miter was not proved (log: ${_out}/netlist.log); "
        PARENT_SCOPE)
    return()
  endif()
  set(_alg_ok TRUE PARENT_SCOPE)
  set(_alg_what "algebra: ${_proved}; the netlist's miter against maccmap's cells proved by SAT (${_out}/)"
      PARENT_SCOPE)
endfunction()

# the chain proof of a cut into ${_work}/<name>/; writes outcome.txt one folder up: TRUE or FALSE, "chain", then
# <prefix> (why the algebra did not prove it) and what was proved or why not
function(_sum_tree_miters cut level name prefix)
  set(dir ${_work}/${name})
  file(MAKE_DIRECTORY ${dir})
  get_filename_component(_outcome ${dir} DIRECTORY)
  set(_outcome ${_outcome}/outcome.txt)
  execute_process(COMMAND ${PYTHON3_BIN} ${_here}/equiv_sum_tree.py ${cut}.aig ${cut}.map ${level} ${dir}
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _layout ERROR_VARIABLE _err OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    file(WRITE ${_outcome} "FALSE\nchain\n${prefix}equiv_sum_tree.py: ${_err}\n")
    return()
  endif()
  # a miter is proved when its BDDs (collapse) are constant: then the strashed network is a constant, which must be 0
  file(GLOB _miters RELATIVE ${dir} ${dir}/tree.aig ${dir}/word*.aig)
  foreach(_m IN LISTS _miters)
    string(REPLACE ".aig" "" _m ${_m})
    _abc(${name}/${_m} "read_aiger ${dir}/${_m}.aig\nstrash\ncollapse -r\nstrash\niprove\n" 300)
    if(NOT (_abc_rc EQUAL 0 AND _abc MATCHES "UNSATISFIABLE"))
      file(WRITE ${_outcome} "FALSE\nchain\n${prefix}${_layout}; ${_m}.aig not proved (log: ${dir}/${_m}.log)\n")
      return()
    endif()
  endforeach()
  list(LENGTH _miters _n)
  file(WRITE ${_outcome}
       "TRUE\nchain\n${prefix}${_layout}: all ${_n} miters proved (the tree and one per word; ${name}/)\n")
endfunction()
