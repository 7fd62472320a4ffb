#!/usr/bin/env python3
"""Algebraic proof of a block dot's adder-tree cut (equiv_sum_tree.cmake states where it sits in the ABC proof).

Each word k of `g_cut[l].u_r.d` is an exact sum of signed lane products P (the bits of `g_cut[0].u_r.d`). Let F_k be
the linear form sum_i value(P_i) over the product bits (a signed value, its sign bit weighted -2^(w-1)). Proved:
  RTL     the RTL's word (GOLD_JSON: the sources elaborated, proc + flatten, word-level cells) equals F_k exactly:
          each of its adders ($add/$sub/$neg/$pos) is followed from the products up, its operands read as the signed or
          unsigned integers they are, and the exact range of every result (from the coefficients of its linear form)
          must fit the result's width, so that no adder wraps;
  MACC    the same word of MACC_JSON (the same sources through synthesis up to `maccmap` of the block sum's `$macc`:
          full adders `$fa`, a final `$alu`, inverters) equals F_k modulo 2^width: the polynomial sum_i 2^i y_i over
          Z/2^width is rewritten backward, cell by cell from the outputs to the product bits, each output bit
          replaced by its polynomial (a full adder's sum by a + b + c - 2 carry, then the carry by its majority
          polynomial, which in a carry-save tree cancels; the final adder word by word, A + B + CI, where its sum bits
          appear as c 2^i y_i); the result must be F_k;
  netlist.aig   the gate netlist's cone of the word, cut at the (gold) product nodes, against MACC_JSON's cells built
          as gates (full adders as XOR/majority, the final adder ripple-carry): a miter that must be constant 0
          (yosys-abc; SAT sweeping pairs the full adders of the two carry-save trees).
Together: gate(x) == MACC(P(x)) == F(P(x)) == RTL(x) on every bit of the word (two words of width bits equal modulo
2^width are equal).

Usage: equiv_sum_alg.py AIG MAP LEVEL GOLD_JSON MACC_JSON OUTDIR   (AIG, MAP: as for equiv_sum_tree.py). Prints what
it proved in one line; exits 1 with one line when a step does not apply or fails.
"""
import json
import sys
from pathlib import Path

from equiv_sum_tree import Aig, read_cut

MAX_MONOMIALS = 200000


class Design:
    """The one flat module of a Yosys JSON file: cells, the cell and port driving each bit, named bits."""

    def __init__(self, path):
        modules = json.loads(Path(path).read_text())['modules']
        tops = [m for m in modules.values() if m.get('attributes', {}).get('top')] or list(modules.values())
        if len(tops) != 1:
            raise SystemExit(f'{path}: not one flat top module')
        self.cells = tops[0]['cells']
        self.driver = {}
        for name, cell in self.cells.items():
            for port, bits in cell['connections'].items():
                if cell['port_directions'][port] == 'output':
                    for i, b in enumerate(bits):
                        self.driver[b] = (name, port, i)
        self.bit = {}
        for name, net in tops[0]['netnames'].items():
            for i, b in enumerate(net['bits']):
                self.bit[(name, i + net.get('offset', 0))] = b

    def named(self, wire, index, path):
        if (wire, index) not in self.bit:
            raise SystemExit(f'layout: {path} has no {wire}[{index}]')
        return self.bit[(wire, index)]

    def param(self, cell, name):
        value = cell['parameters'][name]
        return int(value, 2) if isinstance(value, str) else int(value)

    def signed(self, cell, port):
        """Whether the cell reads `port` as a signed word (no <port>_SIGNED: unsigned)."""
        return port + '_SIGNED' in cell['parameters'] and bool(self.param(cell, port + '_SIGNED'))


def extend(bits, signed, width):
    """A port's bits extended (sign or zero) or cut to width, as the cell's arithmetic reads them."""
    if len(bits) >= width:
        return bits[:width]
    return bits + [bits[-1] if signed and bits else '0'] * (width - len(bits))


# ---- RTL: exact word values as linear forms {product bit index or None (the constant): integer}

def form_range(form):
    lo = form.get(None, 0) + sum(min(0, c) for k, c in form.items() if k is not None)
    hi = form.get(None, 0) + sum(max(0, c) for k, c in form.items() if k is not None)
    return lo, hi


def form_add(x, y, sign=1):
    out = dict(x)
    for k, c in y.items():
        out[k] = out.get(k, 0) + sign * c
    return {k: c for k, c in out.items() if c}


class RtlSum:
    """Values of the RTL's words over the product bits (leaf: bit -> product bit index)."""

    def __init__(self, design, leaf):
        self.d, self.leaf, self.memo, self.adders = design, leaf, {}, 0

    def value(self, bits, signed):
        bits = list(bits)
        while len(bits) > 1 and bits[-1] == (bits[-2] if signed else '0'):
            bits.pop()  # sign or zero extension: the same value
        if all(b in ('0', '1') or b in self.leaf for b in bits):
            form = {}
            for i, b in enumerate(bits):
                weight = -(1 << i) if signed and i == len(bits) - 1 else 1 << i
                key = None if b in ('0', '1') else self.leaf[b]
                if b != '0':
                    form = form_add(form, {key: weight})
            return form
        drivers = [self.d.driver.get(b) for b in bits]
        name = drivers[0][0] if drivers[0] else None
        # the low bits of one cell's result, in order: its value if that range fits them as they are read
        if not name or [x and (x[0], x[1], x[2]) for x in drivers] != [(name, 'Y', i) for i in range(len(bits))]:
            raise SystemExit(f'RTL: the sum reads bits {bits[:4]}... that are not one adder\'s result')
        form = self.cell_value(name)
        lo, hi = form_range(form)
        n = len(bits)
        if not (-(1 << (n - 1)) <= lo and hi < (1 << (n - 1)) if signed else 0 <= lo and hi < (1 << n)):
            raise SystemExit(f'RTL: {name} read as {n} bits does not hold its range [{lo}, {hi}] (it wraps)')
        return form

    def cell_value(self, name):
        if name in self.memo:
            return self.memo[name]
        cell = self.d.cells[name]
        kind, conn = cell['type'], cell['connections']
        port = lambda p: self.value(conn[p], self.d.signed(cell, p))
        if kind in ('$add', '$sub'):
            if self.d.signed(cell, 'A') != self.d.signed(cell, 'B'):
                raise SystemExit(f'RTL: {name} mixes a signed and an unsigned operand')
            form = form_add(port('A'), port('B'), 1 if kind == '$add' else -1)
            self.adders += 1
        elif kind in ('$pos', '$neg'):
            form = port('A') if kind == '$pos' else form_add({}, port('A'), -1)
        else:
            raise SystemExit(f'RTL: a {kind} cell ({name}) in the sum')
        self.memo[name] = form
        return form


# ---- MACC: backward rewriting over Z/2^width, polynomials {frozenset of bits: coefficient}

def bit_poly(b):
    if b == '0':
        return {}
    if b == '1':
        return {frozenset(): 1}
    if isinstance(b, int):
        return {frozenset([b]): 1}
    raise SystemExit(f'MACC: an undefined bit ({b}) in the sum')


def poly_sum(terms, mod):
    """sum of coefficient * polynomial (a polynomial: a bit or a dict)."""
    out = {}
    for c, p in terms:
        for m, k in (bit_poly(p) if not isinstance(p, dict) else p).items():
            out[m] = (out.get(m, 0) + c * k) % mod
    return {m: k for m, k in out.items() if k}


def poly_mul(x, y, mod):
    out = {}
    for mx, cx in x.items():
        for my, cy in y.items():
            m = mx | my
            out[m] = (out.get(m, 0) + cx * cy) % mod
    return {m: k for m, k in out.items() if k}


def gate_polys(kind, a, b, c, mod):
    """The polynomial of one bit of a bitwise cell; $fa: (a + b + c, the carry X), its sum Y = a + b + c - 2 X."""
    pa, pb, pc = (bit_poly(x) for x in (a, b, c))
    ab = poly_mul(pa, pb, mod)
    if kind == '$not':
        return poly_sum([(-1, pa), (1, '1')], mod)
    if kind == '$and':
        return ab
    if kind == '$or':
        return poly_sum([(1, pa), (1, pb), (-1, ab)], mod)
    if kind in ('$xor', '$xnor'):
        x = poly_sum([(1, pa), (1, pb), (-2, ab)], mod)
        return x if kind == '$xor' else poly_sum([(-1, x), (1, '1')], mod)
    if kind == '$fa':  # (a + b + c, the carry: majority = ab + ac + bc - 2abc)
        carry = poly_sum([(1, ab), (1, poly_mul(pa, pc, mod)), (1, poly_mul(pb, pc, mod)),
                          (-2, poly_mul(ab, pc, mod))], mod)
        return poly_sum([(1, pa), (1, pb), (1, pc)], mod), carry
    raise SystemExit(f'MACC: a {kind} cell in the sum')


class MaccSum:
    """Backward rewriting of a word of MACC_JSON down to the product bits (leaf: bit -> product bit index)."""

    BITWISE = ('$not', '$and', '$or', '$xor', '$xnor', '$fa')

    def __init__(self, design, leaf):
        self.d, self.leaf, self.counts = design, leaf, {}

    def cone(self, outs):
        """The cells between the outputs and the product bits, in topological order (inputs first)."""
        order, state = [], {}
        stack = [self._driver(b) for b in outs if isinstance(b, int) and b not in self.leaf]
        while stack:
            name = stack[-1]
            if state.get(name) == 'done':
                stack.pop()
                continue
            cell = self.d.cells[name]
            ins = [self._driver(b) for p, bits in cell['connections'].items()
                   if cell['port_directions'][p] == 'input' for b in bits if isinstance(b, int) and b not in self.leaf]
            todo = [x for x in ins if state.get(x) != 'done']
            if state.get(name) == 'open' or not todo:
                state[name] = 'done'
                order.append(name)
                stack.pop()
            else:
                state[name] = 'open'
                stack.extend(todo)
        return order

    def _driver(self, b):
        if b not in self.d.driver:
            raise SystemExit(f'MACC: the sum reads bit {b}, neither a lane product nor driven by a cell')
        return self.d.driver[b][0]

    def rewrite(self, outs, cells, mod):
        """sum_i 2^i outs_i rewritten through `cells` (the cone of outs, inputs first) down to the product bits."""
        poly = poly_sum([(1 << i, b) for i, b in enumerate(outs)], mod)
        for name in reversed(cells):
            cell = self.d.cells[name]
            kind, conn = cell['type'], cell['connections']
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if kind == '$alu':
                poly = self._alu(poly, cell, name, mod)
            elif kind in self.BITWISE:
                width = len(conn['Y'])
                ins = [extend(conn[p], self.d.signed(cell, p), width) if p in conn else ['0'] * width for p in 'ABC']
                for i, y in enumerate(conn['Y']):
                    if kind == '$fa':
                        total, carry = gate_polys(kind, ins[0][i], ins[1][i], ins[2][i], mod)
                        x = conn['X'][i]
                        # Y = a + b + c - 2X, then X by its majority (gone again when the carry's weight doubles the
                        # sum's: a carry-save tree)
                        poly = substitute(poly, y, poly_sum([(1, total), (-2, x)], mod), mod)
                        poly = substitute(poly, x, carry, mod)
                    else:
                        poly = substitute(poly, y, gate_polys(kind, ins[0][i], ins[1][i], ins[2][i], mod), mod)
            elif kind in ('$pos', '$buf'):
                a = extend(conn['A'], self.d.signed(cell, 'A'), len(conn['Y']))
                for y, x in zip(conn['Y'], a):
                    poly = substitute(poly, y, bit_poly(x), mod)
            else:
                raise SystemExit(f'MACC: a {kind} cell ({name}) in the sum')
            if len(poly) > MAX_MONOMIALS:
                raise SystemExit(f'MACC: over {MAX_MONOMIALS} monomials at {name} ({kind}): not a carry-save tree')
        return poly

    def _alu(self, poly, cell, name, mod):
        """The final adder, word by word: its sum bits must appear as c 2^i y_i (and c 2^width = 0 here)."""
        conn = cell['connections']
        y = conn['Y']
        width = len(y)
        for port in ('X', 'CO'):
            if any(m & set(b for b in conn[port] if isinstance(b, int)) for m in poly):
                raise SystemExit(f'MACC: the sum reads {name}.{port}')
        coeff = [poly.get(frozenset([b]), 0) if isinstance(b, int) else 0 for b in y]
        c = coeff[0]
        if any(k != (c << i) % mod for i, k in enumerate(coeff)) or (c << width) % mod \
                or any(len(m) > 1 and m & set(y) for m in poly):
            raise SystemExit(f'MACC: {name}\'s sum bits are not read as one word')
        rest = {m: k for m, k in poly.items() if not m & set(y)}
        a = extend(conn['A'], self.d.signed(cell, 'A'), width)
        b = extend(conn['B'], self.d.signed(cell, 'B'), width)
        bi = bit_poly(conn['BI'][0])
        terms = [(c << i, x) for i, x in enumerate(a)] + [(c, conn['CI'][0]), (1, rest)]
        for i, x in enumerate(b):  # B ^ BI = B + BI - 2 B BI
            terms.append((c << i, poly_sum([(1, x), (1, bi), (-2, poly_mul(bit_poly(x), bi, mod))], mod)))
        return poly_sum(terms, mod)


def substitute(poly, bit, value, mod):
    """poly with the variable `bit` replaced by the polynomial `value` (bits are Boolean: x^2 = x)."""
    if isinstance(bit, str):
        return poly
    out = {}
    for m, k in poly.items():
        if bit in m:
            rest = m - {bit}
            for mv, kv in value.items():
                key = rest | mv
                out[key] = (out.get(key, 0) + k * kv) % mod
        else:
            out[m] = (out.get(m, 0) + k) % mod
    return {m: k for m, k in out.items() if k}


# ---- netlist.aig: MACC_JSON's cells as gates against the netlist's cone

def build_macc(g, design, cells, lit):
    """MACC's cells as gates in g; lit: bit -> literal (the product bits given), extended with every output."""
    val = lambda b: 1 if b == '1' else 0 if b == '0' else lit[b]
    for name in cells:
        cell = design.cells[name]
        kind, conn = cell['type'], cell['connections']
        width = len(conn['Y'])
        a, b, c = (extend(conn[p], design.signed(cell, p), width) if p in conn else ['0'] * width for p in 'ABC')
        if kind == '$alu':
            carry, bi = val(conn['CI'][0]), val(conn['BI'][0])
            for y, x0, x1 in zip(conn['Y'], a, b):
                x, z = val(x0), g.xor(val(x1), bi)
                t = g.xor(x, z)
                lit[y] = g.xor(t, carry)
                carry = g.or_(g.and_(x, z), g.and_(carry, t))
            continue
        for i, y in enumerate(conn['Y']):
            x, z, w = val(a[i]), val(b[i]), val(c[i])
            if kind == '$fa':
                t = g.xor(x, z)
                lit[y] = g.xor(t, w)
                lit[conn['X'][i]] = g.or_(g.and_(x, z), g.and_(w, t))
            else:
                lit[y] = {'$not': lambda: x ^ 1, '$and': lambda: g.and_(x, z), '$or': lambda: g.or_(x, z),
                          '$xor': lambda: g.xor(x, z), '$xnor': lambda: g.xor(x, z) ^ 1,
                          '$pos': lambda: x, '$buf': lambda: x}[kind]()


def main():
    if len(sys.argv) != 7:
        raise SystemExit(__doc__.split('\n\n')[-1])
    aig, map_file, level, gold_json, macc_json, outdir = sys.argv[1:]
    level, outdir = int(level), Path(outdir)
    n_in, outs, ands, bits, base = read_cut(aig, map_file, level)
    wire, lanes = f'g_cut[{level}].u_r.d', 'g_cut[0].u_r.d'
    rtl, macc = Design(gold_json), Design(macc_json)
    leaf_of = lambda d, path: {d.named(lanes, j, path): j for j in sorted(bits[0])}
    rtl_leaf, macc_leaf = leaf_of(rtl, gold_json), leaf_of(macc, macc_json)
    # the words: the level's bits from base, split where the RTL's driving cell changes
    words, last = [], None
    for j in sorted(bits['gold']):
        drv = rtl.driver.get(rtl.named(wire, j, gold_json))
        if not drv or drv[1] != 'Y':
            raise SystemExit(f'RTL: {wire}[{j}] is not an adder\'s result')
        if drv[0] != last:
            words.append([])
            last = drv[0]
        words[-1].append(j)
    rtl_sum, macc_sum = RtlSum(rtl, rtl_leaf), MaccSum(macc, macc_leaf)

    # the product bits as free inputs (a repeated or constant node stays so: both sides read the same literal)
    t = Aig(len(bits[0]))
    cut, leaf_lit = {0: 0}, {}
    for n, j in enumerate(sorted(bits[0])):
        v, inv = bits[0][j] >> 1, bits[0][j] & 1
        if v and v not in cut:
            cut[v] = 2 * (n + 1)
        leaf_lit[j] = cut[v] ^ inv
    cut.update({v: None for v in range(1, n_in + 1) if v not in cut})
    lit = {b: leaf_lit[j] for b, j in macc_leaf.items()}
    miter = []
    for word in words:
        width, mod = len(word), 1 << len(word)
        form = rtl_sum.value([rtl.named(wire, j, gold_json) for j in word], True)
        want = {frozenset() if k is None else frozenset([k]): c % mod for k, c in form.items() if c % mod}
        ys = [macc.named(wire, j, macc_json) for j in word]
        cells = macc_sum.cone(ys)
        poly = macc_sum.rewrite(ys, cells, mod)
        got = {frozenset(macc_leaf[b] for b in m): k for m, k in poly.items()}
        if len(got) != len(poly) or got != want:
            diff = sorted(set(got.items()) ^ set(want.items()), key=str)[:3]
            raise SystemExit(f'MACC: word {word[0]}..{word[-1]} is not the sum of its products mod 2^{width} '
                             f'(differing terms, product bit indices: {[(sorted(m), k) for m, k in diff]})')
        build_macc(t, macc, cells, lit)
        gate = [t.copy(ands, n_in, bits['gate'][j], cut) for j in word]
        miter += [t.xor(a, lit[y]) for a, y in zip(gate, ys)]
    outdir.mkdir(parents=True, exist_ok=True)
    t.write(outdir / 'netlist.aig', miter)
    kinds = ', '.join(f'{n} {k}' for k, n in sorted(macc_sum.counts.items()))
    n_products = len([j for j in bits[0] if j >= base])
    words_text = f'{len(words)} word{"s" if len(words) > 1 else ""} of {len(words[0])} bits'
    print(f'{words_text} over {n_products} product bits: the RTL\'s {rtl_sum.adders} adders exact, maccmap\'s cells '
          f'({kinds}) == the sum of the products mod 2^width')


if __name__ == '__main__':
    main()
