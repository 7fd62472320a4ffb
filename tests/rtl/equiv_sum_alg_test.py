#!/usr/bin/env python3
"""Test of rtl/synth/equiv_sum_alg.py: its algebraic proof of an adder-tree cut on a small synthetic tree.

The cut of equiv_sum_tree_test.py with eight lanes (4-bit signed lane products, tree level 2: words of lanes 0-3 and
4-7, 6 bits, from bit 2; a carry-save "netlist"), with the RTL's word-level cells and maccmap's cells written by
Yosys from `sum_tree.v` below (its g_cut names as in mxlab_block_dot). Proved: the tool's algebra and its netlist
miter (yosys-abc iprove). Must fail: an RTL adder one bit too narrow (it wraps: refused by the RTL step), maccmap's
cells with one full adder's sum and carry swapped (refused by the rewriting), a netlist with one wrong full adder (the
miter refuted).
Usage: equiv_sum_alg_test.py TOOL YOSYS YOSYS_ABC WORKDIR
"""
import json
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ beside the tools and tests in the source tree
import equiv_sum_tree_test as cut  # noqa: E402 (after the line above)

SUM_TREE_V = r'''
module sum_tree #(parameter integer NARROW = 0) (input [33:0] d, output [13:0] q);
  wire [33:0] \g_cut[0].u_r.d = d;
  wire signed [3:0] p0 = \g_cut[0].u_r.d [5:2], p1 = \g_cut[0].u_r.d [9:6], p2 = \g_cut[0].u_r.d [13:10];
  wire signed [3:0] p3 = \g_cut[0].u_r.d [17:14], p4 = \g_cut[0].u_r.d [21:18], p5 = \g_cut[0].u_r.d [25:22];
  wire signed [3:0] p6 = \g_cut[0].u_r.d [29:26], p7 = \g_cut[0].u_r.d [33:30];
  wire signed [4-NARROW:0] s01 = p0 + p1;
  wire signed [4:0] s23 = p2 + p3, s45 = p4 + p5, s67 = p6 + p7;
  wire signed [5:0] w0 = s01 + s23, w1 = s45 + s67;
  wire [13:0] \g_cut[2].u_r.d = {w1, w0, \g_cut[0].u_r.d [1:0]};
  assign q = \g_cut[2].u_r.d ;
endmodule
'''


def views(yosys, d, narrow):
    """rtl.json and macc.json of sum_tree.v, as equiv_sum_tree.cmake writes them for a unit."""
    d.mkdir(parents=True, exist_ok=True)
    (d / 'sum_tree.v').write_text(SUM_TREE_V)
    script = (f'read_verilog {d}/sum_tree.v\nchparam -set NARROW {narrow} sum_tree\nhierarchy -check -top sum_tree\n'
              f'design -save sources\nproc\nflatten\nopt_clean\nwrite_json {d}/rtl.json\ndesign -load sources\n'
              f'synth -flatten -noabc -run begin:fine\nopt -fast -full\nmemory_map\nopt -full\nmaccmap\nopt_clean\n'
              f'write_json {d}/macc.json\n')
    (d / 'views.ys').write_text(script)
    subprocess.run([yosys, '-q', str(d / 'views.ys')], check=True)


def swap_full_adder(path):
    """maccmap's first full adder with its sum and carry outputs exchanged."""
    design = json.loads(path.read_text())
    for module in design['modules'].values():
        for cell in module['cells'].values():
            if cell['type'] == '$fa':
                conn = cell['connections']
                conn['X'], conn['Y'] = conn['Y'], conn['X']
                path.write_text(json.dumps(design))
                return
    raise SystemExit(f'{path}: no $fa cell')


def main():
    tool_path, yosys, abc_bin, workdir = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
    tool = cut.load_tool(tool_path)
    expect = cut.Expect()

    def run(case, narrow=0, bad_netlist=False, bad_macc=False):
        d = workdir / case.replace(' ', '_')
        views(yosys, d, narrow)
        if bad_macc:
            swap_full_adder(d / 'macc.json')
        cut.write_cut(tool, d, bad_netlist=bad_netlist, n=8)
        r = subprocess.run([sys.executable, str(tool_path), str(d / 'cut.aig'), str(d / 'cut.map'), str(cut.LEVEL),
                            str(d / 'rtl.json'), str(d / 'macc.json'), str(d / 'out')], capture_output=True, text=True)
        print(f'{case}: {r.stdout.strip()}{r.stderr.strip()}')
        if r.returncode:
            return r.stderr.strip()
        return cut.abc(abc_bin, d / 'out' / 'netlist.aig')

    expect('correct', run('correct'), 'proved')
    expect('wrong netlist', run('wrong netlist', bad_netlist=True), 'refuted')
    for case, kw, start in (('narrow RTL adder', {'narrow': 1}, 'RTL: '),
                            ('swapped full adder', {'bad_macc': True}, 'MACC: ')):
        got = run(case, **kw)
        expect(f'{case}: refused with one line', got.startswith(start) and len(got.splitlines()) == 1, True)
    expect.finish()


if __name__ == '__main__':
    main()
