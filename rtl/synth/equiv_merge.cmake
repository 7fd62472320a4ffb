# Registers merged by synthesis, for the ABC equivalence proof (included from equiv_unit_abc.cmake; not a script of
# its own). Synthesis keeps one flip-flop for gold registers of equal next-state functions (the sign-extension bits
# of a partial sum), so a gold register R can be left without a partner of its name; it may also have been removed
# (unused). For R merged into a register P of its word (or a constant), step 1 is run again with three sets of
# commands (equiv_pair.ys.in): GOLD_MERGE makes the gold read P wherever it read R (what synthesis did) and keeps R as a
# register with its output renamed <R>_merged; GATE_MERGE gives the gate a buffer of its P under that name;
# MERGE_PAIRS, after equiv_make, makes the pair <R>_merged compare R with the gate's P itself (the buffer reads it
# again instead of the pair's gold signal; opt_clean then removes the buffer, keep holds the pair). Step 2 must prove
# that pair: R's next-state function equal to P's. The candidates for P are the paired bits of R's word nearest below
# and above, then the constants 0 and 1 (P a constant: the gold reads it, the gate's side of the pair is it, no
# buffer); a pair that step 2 does not prove takes the next candidate, and with none left R stays unpaired (a free
# input of the combinational view, a register of its own in the sequential miter; removed registers end there).

# _merge_regs: the unpaired gold registers (bits); _merge_cands_<k>: the candidates of the k-th, in order
function(_merge_plan unpaired_file pairs_file)
  file(STRINGS ${unpaired_file} _unpaired REGEX "^equiv/.*_gold$")
  file(STRINGS ${pairs_file} _paired REGEX "^equiv/.*\\]$")
  set(_regs "")
  foreach(_u IN LISTS _unpaired)
    string(REGEX REPLACE "^equiv/(.*)_gold$" "\\1" _r "${_u}")
    set(_word "")
    set(_bit -1)
    if(_r MATCHES "^(.*)\\[([0-9]+)\\]$")
      set(_word "${CMAKE_MATCH_1}")
      set(_bit ${CMAKE_MATCH_2})
    endif()
    set(_below -1)
    set(_above -1)
    foreach(_p IN LISTS _paired)
      if(_bit GREATER_EQUAL 0 AND _p MATCHES "^equiv/(.*)\\[([0-9]+)\\]$" AND CMAKE_MATCH_1 STREQUAL _word)
        set(_b ${CMAKE_MATCH_2})
        if(_b LESS _bit AND _b GREATER _below)
          set(_below ${_b})
        elseif(_b GREATER _bit AND (_above LESS 0 OR _b LESS _above))
          set(_above ${_b})
        endif()
      endif()
    endforeach()
    set(_cands "")
    foreach(_b ${_below} ${_above})
      if(_b GREATER_EQUAL 0)
        list(APPEND _cands "${_word}[${_b}]")
      endif()
    endforeach()
    list(APPEND _cands "1'0" "1'1")
    list(LENGTH _regs _k)
    list(APPEND _regs "${_r}")
    set(_merge_cands_${_k} "${_cands}" PARENT_SCOPE)
  endforeach()
  set(_merge_regs "${_regs}" PARENT_SCOPE)
endfunction()

# GOLD_MERGE, GATE_MERGE, MERGE_PAIRS for every register with a candidate left (its first); _merged: "R into P, ..."
function(_merge_commands)
  set(_gold "")
  set(_gate "")
  set(_pairs "")
  set(_into "")
  set(_k 0)
  foreach(_r IN LISTS _merge_regs)
    if(_merge_cands_${_k})
      list(GET _merge_cands_${_k} 0 _p)
      _sel_pattern(_sel "${_r}")
      string(APPEND _gold "rename -wire -suffix _merged_ff w:${_sel} %ci1:+[Q]\nadd -wire ${_r}_merged 1\n"
             "connect -port ${_r}_merged_ff Q ${_r}_merged\nconnect -set ${_r} ${_p}\n")
      string(APPEND _gate "add -wire ${_r}_merged 1\nconnect -set ${_r}_merged ${_p}\n")
      string(APPEND _pairs "select -assert-count 1 w:${_sel}_merged %ci1 t:$equiv %i\n"
             "setattr -set keep 1 w:${_sel}_merged\n")
      if(NOT _p MATCHES "^1'[01]$")
        string(APPEND _gate "insbuf w:${_sel}_merged\nrename -wire -suffix _buf w:${_sel}_merged %ci1\n")
        string(APPEND _pairs "connect -port ${_r}_merged_buf_gate A ${_p}_gate\n")
      endif()
      list(APPEND _into "${_r} into ${_p}")
    endif()
    math(EXPR _k "${_k} + 1")
  endforeach()
  if(_into)
    set(_gold "cd gold\n${_gold}cd\n")
    set(_gate "cd gate\n${_gate}cd\n")
    set(_pairs "cd equiv\n${_pairs}cd\n")
  endif()
  list(JOIN _into ", " _into)
  set(GOLD_MERGE "${_gold}" PARENT_SCOPE)
  set(GATE_MERGE "${_gate}" PARENT_SCOPE)
  set(MERGE_PAIRS "${_pairs}" PARENT_SCOPE)
  set(_merged "${_into}" PARENT_SCOPE)
endfunction()

# drops the first candidate of each register whose pair <R>_merged is in the list `failed`
function(_merge_reject failed)
  set(_k 0)
  foreach(_r IN LISTS _merge_regs)
    if("${_r}_merged" IN_LIST failed)
      list(REMOVE_AT _merge_cands_${_k} 0)
      set(_merge_cands_${_k} "${_merge_cands_${_k}}" PARENT_SCOPE)
    endif()
    math(EXPR _k "${_k} + 1")
  endforeach()
endfunction()
