"""A small interpreter for the subset of Go that kustomize's krusty tests use.

It tokenises and parses Go source files (statements and expressions, types
only as far as composite literals need them) and evaluates test functions
with Python values. Anything outside the subset raises `Unsupported` with the
line, so the converter can name why a test was not converted.

Used by scripts/convert-krusty; not part of driftlens.
"""

import re

KEYWORDS = {
    "break", "case", "chan", "const", "continue", "default", "defer", "else",
    "fallthrough", "for", "func", "go", "goto", "if", "import", "interface",
    "map", "package", "range", "return", "select", "struct", "switch", "type",
    "var",
}

OPS = [
    "<<=", ">>=", "&^=", "...", "&&", "||", "<-", "++", "--", "==", "!=", "<=",
    ">=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>",
    "&^", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "=", "!", "(",
    ")", "[", "]", "{", "}", ",", ";", ".", ":", "~",
]


class Unsupported(Exception):
    def __init__(self, line, msg):
        super().__init__(f"line {line}: {msg}")
        self.line = line
        self.msg = msg


class Tok:
    __slots__ = ("kind", "val", "line")

    def __init__(self, kind, val, line):
        self.kind, self.val, self.line = kind, val, line

    def __repr__(self):
        return f"{self.kind}:{self.val!r}@{self.line}"


_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
        "v": "\v", "\\": "\\", "'": "'", '"': '"'}


def _unescape(body, line):
    out = []
    i = 0
    raw = bytearray()

    def flush():
        if raw:
            out.append(raw.decode("utf-8", "surrogateescape"))
            raw.clear()

    while i < len(body):
        c = body[i]
        if c != "\\":
            flush()
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in _ESC:
            flush()
            out.append(_ESC[n])
            i += 2
        elif n == "x":
            raw.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif n in "01234567":
            raw.append(int(body[i + 1:i + 4], 8))
            i += 4
        elif n == "u":
            flush()
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif n == "U":
            flush()
            out.append(chr(int(body[i + 2:i + 10], 16)))
            i += 10
        else:
            raise Unsupported(line, f"bad escape \\{n}")
    flush()
    return "".join(out)


def tokenize(src):
    toks = []
    i, line, n = 0, 1, len(src)

    def semi_needed():
        if not toks:
            return False
        t = toks[-1]
        return (t.kind in ("ident", "int", "float", "string", "rune")
                or (t.kind == "kw" and t.val in ("break", "continue", "fallthrough", "return"))
                or (t.kind == "op" and t.val in ("++", "--", ")", "]", "}")))

    while i < n:
        c = src[i]
        if c == "\n":
            if semi_needed():
                toks.append(Tok("op", ";", line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.index("*/", i + 2)
            nl = src.count("\n", i, j)
            if nl and semi_needed():
                toks.append(Tok("op", ";", line))
            line += nl
            i = j + 2
        elif c == "`":
            j = src.index("`", i + 1)
            body = src[i + 1:j].replace("\r", "")
            toks.append(Tok("string", body, line))
            line += body.count("\n")
            i = j + 1
        elif c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("string", _unescape(src[i + 1:j], line), line))
            i = j + 1
        elif c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            s = _unescape(src[i + 1:j], line)
            toks.append(Tok("rune", ord(s), line))
            i = j + 1
        elif c.isalpha() or c == "_":
            m = re.compile(r"[A-Za-z_0-9]+").match(src, i)
            w = m.group(0)
            toks.append(Tok("kw" if w in KEYWORDS else "ident", w, line))
            i = m.end()
        elif c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            m = re.compile(r"0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9]+)?").match(src, i)
            w = m.group(0)
            if re.fullmatch(r"0[xX][0-9a-fA-F_]+|[0-9_]+", w):
                toks.append(Tok("int", int(w.replace("_", ""), 0) if not re.fullmatch(r"0[0-7]+", w) else int(w, 8), line))
            else:
                toks.append(Tok("float", float(w), line))
            i = m.end()
        else:
            for op in OPS:
                if src.startswith(op, i):
                    toks.append(Tok("op", op, line))
                    i += len(op)
                    break
            else:
                raise Unsupported(line, f"unexpected character {c!r}")
    if semi_needed():
        toks.append(Tok("op", ";", line))
    toks.append(Tok("eof", None, line))
    return toks


# --------------------------------------------------------------------------
# AST: tuples ("kind", line, ...) kept as small classes for readability.

class N:
    def __init__(self, kind, line, **kw):
        self.kind, self.line = kind, line
        self.__dict__.update(kw)

    def __repr__(self):
        return f"N({self.kind}@{self.line})"


BINPREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
           "+": 4, "-": 4, "|": 4, "^": 4, "*": 5, "/": 5, "%": 5, "<<": 5,
           ">>": 5, "&": 5, "&^": 5}


class Parser:
    def __init__(self, toks):
        self.t = toks
        self.p = 0
        self.nolit = 0  # > 0: inside if/for/switch header

    # helpers
    @property
    def cur(self):
        return self.t[self.p]

    def peek(self, k=1):
        return self.t[self.p + k]

    def at(self, val, kind=None):
        c = self.cur
        return c.val == val and (kind is None or c.kind == kind) and c.kind in ("op", "kw")

    def next(self):
        c = self.t[self.p]
        self.p += 1
        return c

    def expect(self, val):
        c = self.next()
        if c.val != val or c.kind not in ("op", "kw"):
            raise Unsupported(c.line, f"expected {val!r}, got {c.val!r}")
        return c

    def ident(self):
        c = self.next()
        if c.kind != "ident":
            raise Unsupported(c.line, f"expected identifier, got {c.val!r}")
        return c.val

    def skip_semis(self):
        while self.at(";"):
            self.next()

    # file
    def parse_file(self):
        decls = []
        self.skip_semis()
        self.expect("package")
        self.ident()
        self.skip_semis()
        while self.at("import"):
            self.next()
            if self.at("("):
                self.next()
                while not self.at(")"):
                    self.next()
                self.next()
            else:
                while not self.at(";"):
                    self.next()
            self.skip_semis()
        while self.cur.kind != "eof":
            decls.append(self.top_decl())
            self.skip_semis()
        return decls

    def top_decl(self):
        c = self.cur
        if self.at("func"):
            self.next()
            recv = None
            if self.at("("):
                self.next()
                recv = self.params_until(")")
            name = self.ident()
            params, variadic, results = self.signature(want_results=True)
            body = self.block() if self.at("{") else None
            return N("func", c.line, name=name, recv=recv, params=params, variadic=variadic, body=body,
                     results=results)
        if self.at("const") or self.at("var"):
            return self.var_decl()
        if self.at("type"):
            return self.type_decl()
        raise Unsupported(c.line, f"unexpected top-level {c.val!r}")

    def type_decl(self):
        line = self.expect("type").line
        specs = []
        if self.at("("):
            self.next()
            self.skip_semis()
            while not self.at(")"):
                name = self.ident()
                if self.at("="):
                    self.next()
                specs.append((name, self.parse_type()))
                self.skip_semis()
            self.next()
        else:
            name = self.ident()
            if self.at("="):
                self.next()
            specs.append((name, self.parse_type()))
        return N("typedecl", line, specs=specs)

    def var_decl(self):
        c = self.next()
        is_const = c.val == "const"
        specs = []

        def spec():
            names = [self.ident()]
            while self.at(","):
                self.next()
                names.append(self.ident())
            typ = None
            if not self.at("=") and not self.at(";") and not self.at(")"):
                typ = self.parse_type()
            vals = None
            if self.at("="):
                self.next()
                vals = self.expr_list()
            specs.append((names, typ, vals))

        if self.at("("):
            self.next()
            self.skip_semis()
            while not self.at(")"):
                spec()
                self.skip_semis()
            self.next()
        else:
            spec()
        return N("vardecl", c.line, const=is_const, specs=specs)

    def signature(self, want_results=False):
        self.expect("(")
        params = self.params_until(")")
        variadic = any(p[2] for p in params)
        results = []
        if self.at("("):
            self.next()
            results = [(nm, t) for nm, t, _ in self.params_until(")") if nm is not None]
        elif not self.at("{") and not self.at(";") and not self.at(",") and not self.at(")") \
                and not self.at("}") and not self.at("]") and not self.at("=") and self.cur.kind != "string":
            self.parse_type()
        if want_results:
            return [p[0] for p in params], variadic, results
        return [p[0] for p in params], variadic

    def params_until(self, close):
        # returns list of (name or None, type, variadic)
        items = []
        while not self.at(close):
            variadic = False
            if self.at("..."):
                self.next()
                variadic = True
            start = self.p
            if self.cur.kind == "ident" and not (self.peek().val in (",", close, ".") and self.peek().kind == "op"):
                name = self.ident()
                if self.at("..."):
                    self.next()
                    variadic = True
                typ = self.parse_type()
                items.append([name, typ, variadic])
            else:
                self.p = start
                typ = self.parse_type()
                items.append([None, typ, variadic])
            if self.at(","):
                self.next()
        self.next()
        # grouped names "a, b string": names without types got parsed as types
        out = []
        pending = []
        for name, typ, var in items:
            if name is None and typ.kind == "tname" and typ.pkg is None:
                pending.append((typ.name, var))
            else:
                for pn, pv in pending:
                    out.append((pn, typ, pv))
                pending = []
                out.append((name, typ, var))
        for pn, pv in pending:  # unnamed params: types only
            out.append((None, N("tname", 0, pkg=None, name=pn), pv))
        return out

    def parse_type(self):
        c = self.cur
        if self.at("*"):
            self.next()
            return N("tptr", c.line, elem=self.parse_type())
        if self.at("["):
            self.next()
            if self.at("]"):
                self.next()
                return N("tslice", c.line, elem=self.parse_type())
            if self.at("..."):
                self.next()
            else:
                self.expr()
            self.expect("]")
            return N("tslice", c.line, elem=self.parse_type())
        if self.at("map"):
            self.next()
            self.expect("[")
            k = self.parse_type()
            self.expect("]")
            return N("tmap", c.line, key=k, elem=self.parse_type())
        if self.at("struct"):
            self.next()
            self.expect("{")
            fields = []
            self.skip_semis()
            while not self.at("}"):
                if self.cur.kind == "ident" and self.peek().val in (".", ";", "}") and self.peek().kind == "op":
                    typ = self.parse_type()  # embedded
                    fields.append((typ.name, typ))
                else:
                    names = [self.ident()]
                    while self.at(","):
                        self.next()
                        names.append(self.ident())
                    typ = self.parse_type()
                    for nm in names:
                        fields.append((nm, typ))
                if self.cur.kind == "string":
                    self.next()  # tag
                self.skip_semis()
            self.next()
            return N("tstruct", c.line, fields=fields)
        if self.at("interface"):
            self.next()
            self.expect("{")
            depth = 1
            while depth:
                if self.at("{"):
                    depth += 1
                elif self.at("}"):
                    depth -= 1
                self.next()
            return N("tiface", c.line)
        if self.at("func"):
            self.next()
            params, variadic = self.signature()
            return N("tfunc", c.line)
        if self.at("chan"):
            self.next()
            return N("tchan", c.line, elem=self.parse_type())
        if self.at("("):
            self.next()
            t = self.parse_type()
            self.expect(")")
            return t
        name = self.ident()
        if self.at(".") and self.peek().kind == "ident":
            self.next()
            return N("tname", c.line, pkg=name, name=self.ident())
        return N("tname", c.line, pkg=None, name=name)

    # statements
    def block(self):
        line = self.expect("{").line
        stmts = []
        saved = self.nolit
        self.nolit = 0
        self.skip_semis()
        while not self.at("}"):
            stmts.append(self.stmt())
            self.skip_semis()
        self.next()
        self.nolit = saved
        return N("block", line, stmts=stmts)

    def stmt(self):
        c = self.cur
        if c.kind == "kw":
            v = c.val
            if v in ("var", "const"):
                return self.var_decl()
            if v == "type":
                return self.type_decl()
            if v == "return":
                self.next()
                vals = [] if self.at(";") or self.at("}") else self.expr_list()
                return N("return", c.line, vals=vals)
            if v == "if":
                return self.if_stmt()
            if v == "for":
                return self.for_stmt()
            if v == "switch":
                return self.switch_stmt()
            if v in ("break", "continue"):
                self.next()
                return N(v, c.line)
            if v == "defer" or v == "go":
                self.next()
                return N("defer", c.line, call=self.expr())
        if self.at("{"):
            return self.block()
        return self.simple_stmt()

    def simple_stmt(self, range_ok=False):
        c = self.cur
        if range_ok and self.at("range"):
            self.next()
            return N("range", c.line, lhs=[], define=False, x=self.expr())
        lhs = self.expr_list()
        if self.at(":=") or self.at("=") or (self.cur.kind == "op" and self.cur.val in ("+=", "-=", "*=", "/=", "|=", "&=")):
            op = self.next().val
            if range_ok and self.at("range"):
                self.next()
                return N("range", c.line, lhs=lhs, define=op == ":=", x=self.expr())
            rhs = self.expr_list()
            return N("assign", c.line, lhs=lhs, op=op, rhs=rhs)
        if self.at("++") or self.at("--"):
            op = self.next().val
            return N("assign", c.line, lhs=lhs, op="+=" if op == "++" else "-=",
                     rhs=[N("lit", c.line, val=1)])
        if len(lhs) != 1:
            raise Unsupported(c.line, "expression list as statement")
        return N("expr", c.line, x=lhs[0])

    def if_stmt(self):
        line = self.expect("if").line
        self.nolit += 1
        init = None
        s = self.simple_stmt()
        if self.at(";"):
            self.next()
            init = s
            cond = self.expr()
        else:
            if s.kind != "expr":
                raise Unsupported(line, "if without condition")
            cond = s.x
        self.nolit -= 1
        then = self.block()
        els = None
        if self.at("else"):
            self.next()
            els = self.if_stmt() if self.at("if") else self.block()
        return N("if", line, init=init, cond=cond, then=then, els=els)

    def for_stmt(self):
        line = self.expect("for").line
        self.nolit += 1
        init = cond = post = None
        if self.at("{"):
            self.nolit -= 1
            return N("for", line, init=None, cond=None, post=None, body=self.block())
        s = None if self.at(";") else self.simple_stmt(range_ok=True)
        if s is not None and s.kind == "range":
            self.nolit -= 1
            return N("forrange", line, lhs=s.lhs, define=s.define, x=s.x, body=self.block())
        if self.at(";"):
            self.next()
            init = s
            cond = None if self.at(";") else self.expr()
            self.expect(";")
            post = None if self.at("{") else self.simple_stmt()
        else:
            cond = s.x
        self.nolit -= 1
        return N("for", line, init=init, cond=cond, post=post, body=self.block())

    def switch_stmt(self):
        line = self.expect("switch").line
        self.nolit += 1
        tag = None
        if not self.at("{"):
            s = self.simple_stmt()
            if self.at(";"):
                raise Unsupported(line, "switch with init")
            tag = s.x
        self.nolit -= 1
        self.expect("{")
        clauses = []
        self.skip_semis()
        while not self.at("}"):
            if self.at("case"):
                self.next()
                exprs = self.expr_list()
            else:
                self.expect("default")
                exprs = None
            self.expect(":")
            body = []
            self.skip_semis()
            while not (self.at("case") or self.at("default") or self.at("}")):
                body.append(self.stmt())
                self.skip_semis()
            clauses.append((exprs, N("block", line, stmts=body)))
        self.next()
        return N("switch", line, tag=tag, clauses=clauses)

    # expressions
    def expr_list(self):
        xs = [self.expr()]
        while self.at(","):
            self.next()
            xs.append(self.expr())
        return xs

    def expr(self, prec=1):
        x = self.unary()
        while self.cur.kind == "op" and self.cur.val in BINPREC and BINPREC[self.cur.val] >= prec:
            op = self.next()
            y = self.expr(BINPREC[op.val] + 1)
            x = N("bin", op.line, op=op.val, x=x, y=y)
        return x

    def unary(self):
        c = self.cur
        if c.kind == "op" and c.val in ("!", "-", "+", "&", "*", "^", "<-"):
            self.next()
            return N("unary", c.line, op=c.val, x=self.unary())
        return self.primary()

    def primary(self):
        c = self.cur
        x = self.operand()
        while True:
            c = self.cur
            if self.at("."):
                self.next()
                if self.at("("):
                    self.next()
                    if self.at("type"):
                        self.next()
                        self.expect(")")
                        x = N("typeassert", c.line, x=x, typ=None)
                    else:
                        t = self.parse_type()
                        self.expect(")")
                        x = N("typeassert", c.line, x=x, typ=t)
                else:
                    x = N("sel", c.line, x=x, name=self.ident())
            elif self.at("("):
                self.next()
                saved = self.nolit
                self.nolit = 0
                args = []
                ellipsis = False
                self.skip_semis()
                while not self.at(")"):
                    if x.kind in ("name",) and x.name in ("make", "new") and not args:
                        args.append(N("type", c.line, typ=self.parse_type()))
                    else:
                        args.append(self.expr())
                    if self.at("..."):
                        self.next()
                        ellipsis = True
                    if self.at(","):
                        self.next()
                    self.skip_semis()
                self.next()
                self.nolit = saved
                x = N("call", c.line, fn=x, args=args, ellipsis=ellipsis)
            elif self.at("["):
                self.next()
                saved = self.nolit
                self.nolit = 0
                lo = None if self.at(":") else self.expr()
                if self.at(":"):
                    self.next()
                    hi = None if self.at("]") else self.expr()
                    self.expect("]")
                    x = N("slice", c.line, x=x, lo=lo, hi=hi)
                else:
                    self.expect("]")
                    x = N("index", c.line, x=x, i=lo)
                self.nolit = saved
            elif self.at("{") and self.is_type_expr(x) and (self.nolit == 0 or x.kind not in ("name", "sel")):
                x = self.complit(x)
            else:
                return x

    def is_type_expr(self, x):
        return x.kind in ("name", "sel", "type") and (x.kind != "sel" or x.x.kind == "name")

    def complit(self, typ):
        line = self.expect("{").line
        saved = self.nolit
        self.nolit = 0
        elts = []
        self.skip_semis()
        while not self.at("}"):
            k = self.elem()
            if self.at(":"):
                self.next()
                v = self.elem()
                elts.append((k, v))
            else:
                elts.append((None, k))
            if self.at(","):
                self.next()
            self.skip_semis()
        self.next()
        self.nolit = saved
        return N("complit", line, typ=typ, elts=elts)

    def elem(self):
        if self.at("{"):
            return self.complit(None)
        return self.expr()

    def operand(self):
        c = self.cur
        if c.kind in ("int", "float", "rune"):
            self.next()
            return N("lit", c.line, val=c.val)
        if c.kind == "string":
            self.next()
            return N("lit", c.line, val=c.val)
        if c.kind == "ident":
            self.next()
            return N("name", c.line, name=c.val)
        if self.at("("):
            self.next()
            saved = self.nolit
            self.nolit = 0
            x = self.expr()
            self.expect(")")
            self.nolit = saved
            return N("paren", c.line, x=x)
        if self.at("func"):
            self.next()
            params, variadic, results = self.signature(want_results=True)
            if self.at("{"):
                return N("funclit", c.line, params=params, variadic=variadic, body=self.block(),
                         results=results)
            return N("type", c.line, typ=N("tfunc", c.line))
        if self.at("[") or self.at("map") or self.at("struct") or self.at("interface") or self.at("chan"):
            return N("type", c.line, typ=self.parse_type())
        if self.at("*"):
            self.next()
            return N("unary", c.line, op="*", x=self.unary())
        raise Unsupported(c.line, f"unexpected {c.val!r} in expression")


def parse(src):
    return Parser(tokenize(src)).parse_file()
