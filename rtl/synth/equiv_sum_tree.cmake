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
# Sets _sum_ok (TRUE: proved) and _sum_what (what was proved, or why not).
find_program(PYTHON3_BIN python3)
function(_sum_tree_proof index level)
  set(_cut ${_work}/sum${index})
  file(WRITE ${_cut}.ys
       "read_rtlil ${_work}/comb.il\ntechmap -map ${SEQ_MAP} t:$equiv\n"
       "select -set o w:g_cut\\[${level}\\].u_r.d\\[*\\]_gold w:g_cut\\[${level}\\].u_r.d\\[*\\]_gate "
       "w:g_cut\\[0\\].u_r.d\\[*\\]_gold\nsetattr -unset keep\ndelete -output w:*\nexpose @o\n"
       "opt_clean\ntechmap\nopt_clean\nsetundef -zero -init\naigmap\nopt_clean\n"
       "write_aiger -zinit -map ${_cut}.map ${_cut}.aig\n")
  _yosys(sum${index} ${_cut}.ys)
  # the proof of this cut in chain_<hash>/ (tool output, ABC scripts and logs; proved.txt once proved): a later round
  # of steps 1 and 2 (equiv_merge.cmake) that extracts the same cut reuses it
  file(SHA256 ${_cut}.aig _hash)
  string(SUBSTRING ${_hash} 0 12 _hash)
  set(_dir ${_work}/chain_${_hash})
  if(EXISTS ${_dir}/proved.txt)
    file(READ ${_dir}/proved.txt _what)
    set(_sum_ok TRUE PARENT_SCOPE)
    set(_sum_what "${_what} (the same cut as in an earlier round)" PARENT_SCOPE)
    return()
  endif()
  file(REMOVE_RECURSE ${_dir})
  file(MAKE_DIRECTORY ${_dir})
  set(_sum_ok FALSE PARENT_SCOPE)
  if(NOT PYTHON3_BIN)
    set(_sum_what "python3 not found" PARENT_SCOPE)
    return()
  endif()
  execute_process(COMMAND ${PYTHON3_BIN} ${_here}/equiv_sum_tree.py ${_cut}.aig ${_cut}.map ${level} ${_dir}
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _layout ERROR_VARIABLE _err OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    set(_sum_what "equiv_sum_tree.py: ${_err}" PARENT_SCOPE)
    return()
  endif()
  # a miter is proved when its BDDs (collapse) are constant: then the strashed network is a constant, which must be 0
  file(GLOB _miters RELATIVE ${_dir} ${_dir}/tree.aig ${_dir}/word*.aig)
  foreach(_m IN LISTS _miters)
    string(REPLACE ".aig" "" _name ${_m})
    _abc(chain_${_hash}/${_name} "read_aiger ${_dir}/${_m}\nstrash\ncollapse -r\nstrash\niprove\n" 300)
    if(NOT (_abc_rc EQUAL 0 AND _abc MATCHES "UNSATISFIABLE"))
      set(_sum_what "${_layout}; ${_m} not proved (log: ${_dir}/${_name}.log)" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  list(LENGTH _miters _n)
  set(_what "${_layout}: all ${_n} miters proved (the tree and one per word; chain_${_hash}/)")
  file(WRITE ${_dir}/proved.txt "${_what}")
  set(_sum_ok TRUE PARENT_SCOPE)
  set(_sum_what "${_what}" PARENT_SCOPE)
endfunction()
