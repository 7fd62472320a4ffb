#!/usr/bin/env python3
"""Test of rtl/synth/equiv_sum_tree.py: its two miters on small synthetic adder trees, decided by yosys-abc.

Six lanes, each product a w0 = 4-bit signed term of its two 4-bit inputs, at tree level 2 (words of lanes 0-3 and 4-5,
6 bits). The "RTL" is a binary tree of ripple-carry adders, the "netlist" a carry-save (3:2) tree with a final adder:
both miters must be proved (constant 0 after `collapse -r`). A netlist with one wrong full adder and an RTL tree with
one wrong carry must each fail their miter with a counterexample, and layouts the tool does not know must be refused.
Usage: equiv_sum_tree_test.py TOOL YOSYS_ABC WORKDIR
"""
import subprocess
import sys
from pathlib import Path

N, W0, LEVEL, BASE = 6, 4, 2, 2
WIDTH = W0 + LEVEL


def full_add(g, a, b, c, bad=False):
    t = g.xor(a, b)
    carry = g.or_(a, c) if bad else g.or_(g.and_(a, b), g.and_(c, t))
    return g.xor(t, c), carry


def ripple(g, x, y, bad_bit=-1):
    out, c = [], 0
    for j, (a, b) in enumerate(zip(x, y)):
        s, c = full_add(g, a, b, c, j == bad_bit)
        out.append(s)
    return out


def sext(t):
    return t + [t[-1]] * (WIDTH - len(t))


def rtl_tree(g, terms, bad):
    """Binary tree of ripple adders; bad: the carry of bit 3 of the first adder is wrong."""
    level = [sext(t) for t in terms]
    first = True
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            nxt.append(ripple(g, level[i], level[i + 1], 3 if bad and first else -1))
            first = False
        level = nxt + level[len(level) - len(level) % 2:]
    return level[0]


def netlist_csa(g, terms, bad):
    """Carry-save: 3:2 compressors until two words remain, then one ripple adder; bad: one compressor's carry wrong."""
    words = [sext(t) for t in terms]
    first = True
    while len(words) > 2:
        x, y, z = words[:3]
        s, c = [], [0]
        for j in range(WIDTH):
            sj, cj = full_add(g, x[j], y[j], z[j], bad and first and j == 2)
            s.append(sj)
            c.append(cj)
        first = False
        words = words[3:] + [s, c[:WIDTH]]
    return ripple(g, *words) if len(words) == 2 else words[0]


def write_cut(tool, workdir, bad_netlist=False, bad_rtl=False, level=LEVEL, n=N):
    """workdir/cut.aig and cut.map of n lanes as the ABC proof extracts a cut (tool: the module with the Aig class)."""
    g = tool.Aig(2 * n * W0)
    terms = []
    for i in range(n):
        a = [2 * (2 * i * W0 + j + 1) for j in range(W0)]
        b = [2 * ((2 * i + 1) * W0 + j + 1) for j in range(W0)]
        terms.append([g.xor(a[j], g.and_(b[j], a[(j + 1) % W0])) for j in range(W0)])
    outs, names = [], []
    side_band = [g.and_(2, 4), g.xor(6, 8)]  # g_cut[0] bits below BASE: not products
    for bit, lit in enumerate(side_band + [x for t in terms for x in t]):
        outs.append(lit)
        names.append(f'g_cut[0].u_r.d[{bit}]_gold')
    groups = [terms[k << LEVEL:(k + 1) << LEVEL] for k in range((n + (1 << LEVEL) - 1) >> LEVEL)]
    for side, make, bad in (('gold', rtl_tree, bad_rtl), ('gate', netlist_csa, bad_netlist)):
        bits = [x for grp in groups for x in make(g, grp, bad)]
        for j, lit in enumerate(bits):
            outs.append(lit)
            names.append(f'g_cut[{level}].u_r.d[{BASE + j}]_{side}')
    workdir.mkdir(parents=True, exist_ok=True)
    g.write(workdir / 'cut.aig', outs)
    (workdir / 'cut.map').write_text(''.join(f'output {i} 0 {n}\n' for i, n in enumerate(names)))


def build(tool, workdir, bad_netlist=False, bad_rtl=False, level=LEVEL):
    write_cut(tool, workdir, bad_netlist, bad_rtl, level)
    return subprocess.run([sys.executable, tool.__file__, str(workdir / 'cut.aig'), str(workdir / 'cut.map'),
                           str(level), str(workdir)], capture_output=True, text=True)


def abc(abc_bin, aig):
    r = subprocess.run([abc_bin, '-c', f'read_aiger {aig}; strash; collapse -r; strash; iprove'],
                       capture_output=True, text=True, timeout=120)
    if 'UNSATISFIABLE' in r.stdout:
        return 'proved'
    # a miter that is not constant: its counterexample from SAT on the miter itself
    r = subprocess.run([abc_bin, '-c', f'read_aiger {aig}; strash; iprove'], capture_output=True, text=True,
                       timeout=120)
    return 'refuted' if 'SATISFIABLE' in r.stdout and 'UNSATISFIABLE' not in r.stdout else 'undecided'


def load_tool(tool_path):
    """The tool as a module (no __pycache__ beside it in the source tree)."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(tool_path.parent))
    return __import__(tool_path.stem)


class Expect:
    """expect(what, got, want) prints got and records a mismatch; finish() exits 1 listing them."""

    def __init__(self):
        self.failures = []

    def __call__(self, what, got, want):
        print(f'{what}: {got}')
        if got != want:
            self.failures.append(f'{what}: {got}, expected {want}')

    def finish(self):
        if self.failures:
            print('\n'.join(['FAILED:'] + self.failures))
            sys.exit(1)


def main():
    tool_path, abc_bin, workdir = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    tool = load_tool(tool_path)
    expect = Expect()

    for case, kw, want in (('correct', {}, ('proved', 'proved', 'proved')),
                           ('wrong netlist', {'bad_netlist': True}, ('proved', 'refuted', 'proved')),
                           ('wrong rtl tree', {'bad_rtl': True}, ('refuted', 'proved', 'proved'))):
        d = workdir / case.replace(' ', '_')
        r = build(tool, d, **kw)
        expect(f'{case}: tool', r.returncode, 0)
        expect(f'{case}: layout', r.stdout.strip(), f'2 words of {WIDTH} bits, {N} lane products of {W0} bits')
        expect(f'{case}: tree, word0, word1',
               tuple(abc(abc_bin, d / f) for f in ('tree.aig', 'word0.aig', 'word1.aig')), want)
    # the gold tree's level does not match the words' width: refused with one line
    r = build(tool, workdir / 'wrong_level', level=3)
    expect('level 3 named for a level-2 tree: exit', r.returncode, 1)
    expect('one line', len(r.stderr.strip().splitlines()), 1)
    expect.finish()


if __name__ == '__main__':
    main()
