#!/usr/bin/env python3
"""Miters for a block dot's adder-tree cut, proved by regrouping the sums (equiv_sum_tree.cmake states the argument).

mxlab_block_dot's tree level l holds ceil(N / 2^l) words of w0 + l bits (`g_cut[l].u_r.d`, from bit `base` up), word
k the exact sum of the signed w0-bit lane products k 2^l .. (k + 1) 2^l - 1 (`g_cut[0].u_r.d`, same base). The RTL
adds them as a binary tree, whose last adder's carries depend on both half-sums at once: with the inputs lane by lane
its BDDs blow up (mxfp4_dot_d3, from bit 7 of a sum of 8). A running sum over the lanes in order (a chain) has small
ones: after lanes 0..i its state is one partial sum. So the proof goes through the chain C, built here from the
RTL's own lane-product nodes P(x):
  tree.aig        RTL tree(P) == C(P) for every value of the product bits (free inputs, bit-interleaved LSB first);
  word<k>.aig     netlist word k (x) == C(P(x)) for every input x, inputs ordered lane by lane (the lane whose
                  product reads an input first; the rest after), for `collapse -r` (BDDs in exactly that order).
Both miters' outputs must be constant 0; together: netlist(x) == C(P(x)) == tree(P(x)) == RTL(x).

Usage: equiv_sum_tree.py AIG MAP LEVEL OUTDIR   (AIG, MAP: Yosys write_aiger -map of the gold g_cut[0] and
g_cut[LEVEL] bits and the gate g_cut[LEVEL] bits as outputs). Prints the layout it found in one line; exits 1 with
one line on a layout it does not recognize.
"""
import re
import sys
from pathlib import Path


def read_aiger(path):
    """Binary AIGER without latches: (inputs, output literals, AND fanin pairs; AND k is variable inputs + 1 + k)."""
    d = Path(path).read_bytes()
    end = d.index(b'\n')
    header = d[:end].split()
    if len(header) < 6 or header[0] != b'aig':
        raise SystemExit(f'{path}: not a binary AIGER file')
    n_in, n_latch, n_out, n_and = map(int, header[2:6])
    if n_latch:
        raise SystemExit(f'{path}: latches in a combinational miter')
    pos = end + 1
    outs = []
    for _ in range(n_out):
        end = d.index(b'\n', pos)
        outs.append(int(d[pos:end]))
        pos = end + 1
    ands = []
    for k in range(n_and):
        delta = []
        for _ in range(2):
            x = shift = 0
            while True:
                c = d[pos]
                pos += 1
                x |= (c & 0x7f) << shift
                shift += 7
                if not c & 0x80:
                    break
            delta.append(x)
        r0 = 2 * (n_in + 1 + k) - delta[0]
        ands.append((r0, r0 - delta[1]))
    return n_in, outs, ands


class Aig:
    """A structurally hashed AIG under construction (literal 2v + complement; 0 false, 1 true)."""

    def __init__(self, n_in):
        self.n_in = n_in
        self.ands = []
        self.hash = {}

    def and_(self, a, b):
        a, b = min(a, b), max(a, b)
        if a == 0 or a ^ b == 1:
            return 0
        if a == 1 or a == b:
            return b
        if (a, b) not in self.hash:
            self.ands.append((a, b))
            self.hash[(a, b)] = 2 * (self.n_in + len(self.ands))
        return self.hash[(a, b)]

    def or_(self, a, b):
        return self.and_(a ^ 1, b ^ 1) ^ 1

    def xor(self, a, b):
        return self.or_(self.and_(a, b ^ 1), self.and_(a ^ 1, b))

    def copy(self, ands, n_in, lit, var_map):
        """The literal of `lit` (of the AIG with `ands`, `n_in`) here; var_map: its variables already mapped (inputs
        must be), extended with the cone; a mapped value None is a cut the cone must not cross."""
        stack = [lit >> 1]
        while stack:
            v = stack[-1]
            if v in var_map:
                stack.pop()
                continue
            if v <= n_in:
                raise SystemExit(f'input {v} unmapped')
            a, b = ands[v - n_in - 1]
            todo = [x >> 1 for x in (a, b) if (x >> 1) not in var_map]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            fa, fb = var_map[a >> 1], var_map[b >> 1]
            if fa is None or fb is None:
                raise SystemExit(f'layout: the cone of literal {lit} reads more than the lane products')
            var_map[v] = self.and_(fa ^ (a & 1), fb ^ (b & 1))
        if var_map[lit >> 1] is None:
            raise SystemExit(f'layout: the cone of literal {lit} reads more than the lane products')
        return var_map[lit >> 1] ^ (lit & 1)

    def write(self, path, outs, order=None):
        """Binary AIGER of the cone of `outs`; order: the variables that become inputs 1, 2, ... (default as here)."""
        ren = {0: 0}
        for i, v in enumerate(order or range(1, self.n_in + 1)):
            ren[v] = i + 1
        for v in range(1, self.n_in + 1):
            ren.setdefault(v, len(ren))
        need, stack = set(), [o >> 1 for o in outs]
        while stack:
            v = stack.pop()
            if v > self.n_in and v not in need:
                need.add(v)
                stack.extend(x >> 1 for x in self.ands[v - self.n_in - 1])
        for v in sorted(need):
            ren[v] = len(ren)
        lit = lambda x: 2 * ren[x >> 1] + (x & 1)
        out = bytearray(b'aig %d %d 0 %d %d\n' % (self.n_in + len(need), self.n_in, len(outs), len(need)))
        out += b''.join(b'%d\n' % lit(o) for o in outs)
        for v in sorted(need):
            r0, r1 = sorted(map(lit, self.ands[v - self.n_in - 1]), reverse=True)
            for delta in (2 * ren[v] - r0, r0 - r1):
                while delta & ~0x7f:
                    out.append((delta & 0x7f) | 0x80)
                    delta >>= 7
                out.append(delta)
        Path(path).write_bytes(out)

    def support(self, lit, memo):
        """The input variables in the cone of lit (memo: variable -> frozenset, shared between calls)."""
        stack = [lit >> 1]
        while stack:
            v = stack[-1]
            if v in memo:
                stack.pop()
            elif v <= self.n_in:
                memo[v] = frozenset([v]) if v else frozenset()
            else:
                a, b = (x >> 1 for x in self.ands[v - self.n_in - 1])
                todo = [x for x in (a, b) if x not in memo]
                if todo:
                    stack.extend(todo)
                else:
                    memo[v] = memo[a] | memo[b]
                    stack.pop()
        return memo[lit >> 1]


def cone_leaves(ands, n_in, lit, leaves):
    """The values of `leaves` (variable -> value) met in the cone of lit, not looking below them."""
    seen, found, stack = set(), set(), [lit >> 1]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v in leaves:
            found.add(leaves[v])
        elif v > n_in:
            stack.extend(x >> 1 for x in ands[v - n_in - 1])
    return found


def add(g, x, y):
    """Ripple-carry x + y of two equal-width words (literals, LSB first), the carry out dropped."""
    s, c = [], 0
    for a, b in zip(x, y):
        t = g.xor(a, b)
        s.append(g.xor(t, c))
        c = g.or_(g.and_(a, b), g.and_(c, t))
    return s


def chain(g, terms, width):
    """The running sum of the signed terms, each sign-extended to width."""
    acc = None
    for t in terms:
        t = t + [t[-1]] * (width - len(t))
        acc = t if acc is None else add(g, acc, t)
    return acc


def read_cut(aig, map_file, level):
    """The cut's AIG and its bits: (n_in, outs, ands, bits, base), bits[0] / ['gold'] / ['gate']: bit index -> literal
    of g_cut[0] (gold) and g_cut[level] (gold, gate); base: the lowest bit of the level (the sums' bits from there)."""
    n_in, outs, ands = read_aiger(aig)
    bits = {0: {}, 'gold': {}, 'gate': {}}
    pattern = re.compile(r'g_cut\[(\d+)\]\.u_r\.d\[(\d+)\]_(gold|gate)')
    for line in Path(map_file).read_text().splitlines():
        kind, index, _, name = line.split()
        m = pattern.fullmatch(name)
        if kind != 'output' or not m:
            continue
        if int(m[1]) == level:
            bits[m[3]][int(m[2])] = outs[int(index)]
        elif int(m[1]) == 0 and m[3] == 'gold':
            bits[0][int(m[2])] = outs[int(index)]
    gold, gate = bits['gold'], bits['gate']
    base = min(gate, default=0)
    if not gate or sorted(gate) != list(range(base, base + len(gate))) or sorted(gold) != sorted(gate):
        raise SystemExit(f'layout: g_cut[{level}].u_r.d has no contiguous gold and gate bits')
    return n_in, outs, ands, bits, base


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__.split('\n\n')[-1])
    aig, map_file, level, outdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    if level < 1:
        raise SystemExit(f'layout: level {level} is not a level of sums (>= 1)')
    n_in, outs, ands, bits, base = read_cut(aig, map_file, level)
    gold, gate = bits['gold'], bits['gate']
    n_term_bits = len([b for b in bits[0] if b >= base])
    if any(base + b not in bits[0] for b in range(n_term_bits)):
        raise SystemExit(f'layout: g_cut[0].u_r.d has no contiguous product bits from bit {base}')
    # the product width w0: the level's words must fill its bits, and the lowest sum bit (the parity of the lowest
    # bits of the first 2^level products) must read exactly bits 0, w0, 2 w0, ... of the product bits
    lsb_reads = cone_leaves(ands, n_in, gold[base], {bits[0][base + b] >> 1: b for b in range(n_term_bits)})
    n_words_of = lambda w0: (n_term_bits // w0 + (1 << level) - 1) >> level
    layouts = [(w0, n_term_bits // w0) for w0 in range(2, n_term_bits + 1)
               if n_term_bits % w0 == 0 and n_words_of(w0) * (w0 + level) == len(gate)
               and lsb_reads == {i * w0 for i in range(min(1 << level, n_term_bits // w0))}]
    if len(layouts) != 1:
        raise SystemExit(f'layout: {n_term_bits} product bits do not make the {len(gate)} bits of level {level}')
    w0, n = layouts[0]
    width, n_words = w0 + level, len(gate) // (w0 + level)

    g = Aig(n_in)
    var_map = {v: 2 * v for v in range(n_in + 1)}
    lane = lambda i: [g.copy(ands, n_in, bits[0][base + i * w0 + j], var_map) for j in range(w0)]
    word = lambda side, k: [g.copy(ands, n_in, side[base + k * width + j], var_map) for j in range(width)]
    terms = [lane(i) for i in range(n)]
    groups = [terms[k << level:(k + 1) << level] for k in range(n_words)]
    chains = [chain(g, grp, width) for grp in groups]

    # tree(P) == C(P): the product bits become free inputs (a constant or repeated bit stays so: both sides read the
    # same node, so the miter covers every value the products take)
    t = Aig(n * w0)
    cut = {0: 0}
    for j in range(w0):
        for i in range(n):
            v, inv = terms[i][j] >> 1, terms[i][j] & 1
            if v and v not in cut:
                cut[v] = 2 * (j * n + i + 1) ^ inv
    cut.update({v: None for v in range(1, n_in + 1) if v not in cut})
    gold_words = [word(gold, k) for k in range(n_words)]
    t.write(outdir / 'tree.aig', [t.xor(t.copy(g.ands, n_in, a, cut), t.copy(g.ands, n_in, b, cut))
                                  for k in range(n_words) for a, b in zip(gold_words[k], chains[k])])

    # netlist word k (x) == C(P(x)), inputs lane by lane
    memo = {}
    for k in range(n_words):
        order = []
        for term in groups[k]:
            lane_inputs = set().union(*(g.support(x, memo) for x in term))
            order += sorted(lane_inputs - set(order))
        miter = [g.xor(a, b) for a, b in zip(word(gate, k), chains[k])]
        g.write(outdir / f'word{k}.aig', miter, order)
    print(f'{n_words} words of {width} bits, {n} lane products of {w0} bits')


if __name__ == '__main__':
    main()
