//! The Bicep syntax tree and its recursive-descent parser. Every node keeps its byte span.
//! Type expressions (`string[]`, `'a' | 'b'`, `resourceInput<'T@v'>.properties.x?`) are kept
//! as text: no rule reads inside them. Nesting deeper than [`MAX_DEPTH`] is a located error,
//! so hostile input cannot overflow the stack; a statement that does not parse is reported
//! and skipped up to the next line, and the rest of the file is still read.

use crate::parse::ParseError;
use crate::parse::bicep::lexer::{Piece, Tok, Token, lex};
use crate::source::Span;

/// Deepest expression nesting read before giving up on a statement.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A string: literal pieces and interpolated expressions.
    Str(Vec<StrPart>),
    Int(i64),
    Bool(bool),
    Null,
    Ident(String),
    Object(Vec<Property>),
    Array(Vec<Expr>),
    /// `...expr` inside an object or array.
    Spread(Box<Expr>),
    /// `base.name` (`base.?name` when `safe`); `base::name` for nested resources too.
    Member {
        base: Box<Expr>,
        name: String,
        safe: bool,
    },
    /// `base[index]` (`base.?[index]` or `base[?index]` when `safe`).
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
        safe: bool,
    },
    /// `f(args)` or `obj.f(args)`: the callee is an `Ident` or a `Member`.
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    Unary {
        op: &'static str,
        expr: Box<Expr>,
    },
    Binary {
        op: &'static str,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `expr!`: asserts the value is not null.
    NonNull(Box<Expr>),
    /// `[for x in xs: body]`, `[for (x, i) in range(0, 3): body]`.
    For {
        vars: Vec<String>,
        iter: Box<Expr>,
        body: Box<Expr>,
    },
    /// `if (cond) body`, the body of a conditional resource or module.
    If {
        cond: Box<Expr>,
        body: Box<Expr>,
    },
    /// `x => body`, `(a, b) => body`.
    Lambda {
        params: Vec<String>,
        body: Box<Expr>,
    },
    /// What could not be parsed (the error is reported).
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(String, Span),
    Interp(Expr),
}

/// An object property; `key` is `None` for a spread (`...other`), whose value is the
/// `Spread` expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub key: Option<Key>,
    pub value: Expr,
}

/// A property name, unquoted or as a (possibly interpolated) string.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The name, or `None` for an interpolated key (`'${name}': ...`).
    pub name: Option<String>,
    pub span: Span,
}

impl Expr {
    /// The properties of an object expression (empty for anything else).
    pub fn props(&self) -> &[Property] {
        match &self.kind {
            ExprKind::Object(p) => p,
            _ => &[],
        }
    }

    /// The property named `key` (case-insensitively, as ARM reads names).
    pub fn get(&self, key: &str) -> Option<&Expr> {
        self.props()
            .iter()
            .rev()
            .find(|p| {
                p.key
                    .as_ref()
                    .and_then(|k| k.name.as_deref())
                    .is_some_and(|n| n.eq_ignore_ascii_case(key))
            })
            .map(|p| &p.value)
    }

    /// The property named `key` with its key's span.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Expr)> {
        self.props().iter().rev().find_map(|p| {
            let k = p.key.as_ref()?;
            k.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(key))
                .then_some((k, &p.value))
        })
    }

    /// Follows a path of property names.
    pub fn at(&self, path: &[&str]) -> Option<&Expr> {
        path.iter().try_fold(self, |e, k| e.get(k))
    }

    /// The elements of an array expression.
    pub fn items(&self) -> &[Expr] {
        match &self.kind {
            ExprKind::Array(a) => a,
            _ => &[],
        }
    }

    /// The body of a resource, module or loop item: through `if (...)` and `[for ...]`.
    pub fn body(&self) -> &Expr {
        let mut e = self;
        for _ in 0..MAX_DEPTH {
            match &e.kind {
                ExprKind::If { body, .. } | ExprKind::For { body, .. } => e = body,
                _ => break,
            }
        }
        e
    }

    /// The name of a called function (`listKeys` for `sa.listKeys()`, `uniqueString`).
    pub fn call_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Call { callee, .. } => match &callee.kind {
                ExprKind::Ident(n) => Some(n),
                ExprKind::Member { name, .. } => Some(name),
                _ => None,
            },
            _ => None,
        }
    }

    /// A string with no interpolation, as written.
    pub fn as_plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) => parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t, _) => Some(t.as_str()),
                    StrPart::Interp(_) => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// Visits this expression and every expression inside it, depth first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            match &e.kind {
                ExprKind::Str(parts) => stack.extend(parts.iter().filter_map(|p| match p {
                    StrPart::Interp(x) => Some(x),
                    StrPart::Text(..) => None,
                })),
                ExprKind::Object(props) => stack.extend(props.iter().map(|p| &p.value)),
                ExprKind::Array(items) => stack.extend(items),
                ExprKind::Spread(x) | ExprKind::NonNull(x) | ExprKind::Unary { expr: x, .. } => {
                    stack.push(x)
                }
                ExprKind::Member { base, .. } => stack.push(base),
                ExprKind::Index { base, index, .. } => stack.extend([&**base, &**index]),
                ExprKind::Call { callee, args } => {
                    stack.push(callee);
                    stack.extend(args);
                }
                ExprKind::Binary { left, right, .. } => stack.extend([&**left, &**right]),
                ExprKind::Ternary {
                    cond,
                    then,
                    otherwise,
                } => stack.extend([&**cond, &**then, &**otherwise]),
                ExprKind::For { iter, body, .. } => stack.extend([&**iter, &**body]),
                ExprKind::If { cond, body } => stack.extend([&**cond, &**body]),
                ExprKind::Lambda { body, .. } => stack.push(body),
                ExprKind::Int(_)
                | ExprKind::Bool(_)
                | ExprKind::Null
                | ExprKind::Ident(_)
                | ExprKind::Error => {}
            }
        }
    }
}

/// A top-level statement, with the decorators written above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub decorators: Vec<Expr>,
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    TargetScope(Expr),
    /// `param name type = default` (template) or `param name = value` (`.bicepparam`).
    Param {
        name: Ident,
        ty: Option<(String, Span)>,
        value: Option<Expr>,
    },
    Var {
        name: Ident,
        value: Expr,
    },
    Resource {
        name: Ident,
        /// `'Microsoft.App/containerApps@2024-03-01'` as written, and its span.
        type_ref: (String, Span),
        existing: bool,
        value: Expr,
    },
    Module {
        name: Ident,
        path: (String, Span),
        value: Expr,
    },
    Output {
        name: Ident,
        ty: (String, Span),
        value: Expr,
    },
    /// `using './main.bicep'` in a `.bicepparam` file (`None` for `using none`).
    Using(Option<(String, Span)>),
    /// `type`, `func`, `import`, `metadata`, `extension`, `assert`…: read, not modelled.
    Other(String),
}

/// A declared name and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Statement {
    /// Whether a decorator `@name(...)` (or `@sys.name(...)`) is present.
    pub fn has_decorator(&self, name: &str) -> bool {
        self.decorator(name).is_some()
    }

    /// The decorator `@name(...)`, if present.
    pub fn decorator(&self, name: &str) -> Option<&Expr> {
        self.decorators
            .iter()
            .find(|d| d.call_name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }
}

/// Parses a whole file into statements, appending located errors. Child resources declared
/// inside another resource's body come after the top-level statements.
pub fn parse_program(text: &str, errors: &mut Vec<ParseError>) -> Vec<Statement> {
    let tokens = lex(text, Span::new(0, text.len()), errors);
    let mut p = Parser {
        text,
        toks: tokens,
        pos: 0,
        depth: 0,
        errors,
        nested: Vec::new(),
    };
    let mut statements = p.program();
    statements.append(&mut p.nested);
    statements
}

struct Parser<'a, 'e> {
    text: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    errors: &'e mut Vec<ParseError>,
    /// Child resources declared inside another resource's body, in order.
    nested: Vec<Statement>,
}

/// A failed parse; the error is already recorded.
struct Fail;

type PResult<T> = Result<T, Fail>;

impl Parser<'_, '_> {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn span(&self) -> Span {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(Span::default(), |t| t.span)
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.span.end)
    }

    fn bump(&mut self) -> Token {
        let t = self.toks.get(self.pos).cloned().unwrap_or(Token {
            tok: Tok::Eof,
            span: self.span(),
        });
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn is_ident(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w == word)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.is_punct(p);
        if yes {
            self.pos += 1;
        }
        yes
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Tok::Newline) {
            self.pos += 1;
        }
    }

    /// The token after any newlines, without consuming.
    fn peek_past_newlines(&self) -> &Tok {
        let mut i = self.pos;
        while let Some(Token {
            tok: Tok::Newline, ..
        }) = self.toks.get(i)
        {
            i += 1;
        }
        self.toks.get(i).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn fail<T>(&mut self, message: impl Into<String>) -> PResult<T> {
        let span = self.span();
        self.errors.push(ParseError::new(message, span));
        Err(Fail)
    }

    fn expect_punct(&mut self, p: &str) -> PResult<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            let found = self.describe();
            self.fail(format!("expected `{p}`, found {found}"))
        }
    }

    fn describe(&self) -> String {
        match self.peek() {
            Tok::Ident(w) => format!("`{w}`"),
            Tok::Str(_) | Tok::MultiStr(_) => "a string".into(),
            Tok::Number(n) => format!("`{n}`"),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Newline => "the end of the line".into(),
            Tok::Eof => "the end of the file".into(),
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            _ => {
                let found = self.describe();
                self.fail(format!("expected {what}, found {found}"))
            }
        }
    }

    /// A plain (non-interpolated) string literal.
    fn plain_string(&mut self, what: &str) -> PResult<(String, Span)> {
        let span = self.span();
        let text = match self.peek() {
            Tok::Str(pieces) => pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t, _) => Some(t.as_str()),
                    Piece::Interp(_) => None,
                })
                .collect::<Option<String>>(),
            Tok::MultiStr(s) => Some(s.clone()),
            _ => None,
        };
        match text {
            Some(t) => {
                self.pos += 1;
                Ok((t, span))
            }
            None => {
                let found = self.describe();
                self.fail(format!("expected {what}, found {found}"))
            }
        }
    }

    fn program(&mut self) -> Vec<Statement> {
        let mut out = Vec::new();
        loop {
            self.skip_newlines();
            if matches!(self.peek(), Tok::Eof) {
                break;
            }
            let start = self.pos;
            self.depth = 0;
            match self.statement() {
                Ok(s) => {
                    if !matches!(self.peek(), Tok::Newline | Tok::Eof) {
                        let found = self.describe();
                        self.errors.push(ParseError::new(
                            format!("expected the end of the line, found {found}"),
                            self.span(),
                        ));
                        self.recover();
                    }
                    out.push(s);
                }
                Err(Fail) => {
                    // Skip the whole statement, counting brackets from its start.
                    self.pos = start;
                    self.recover();
                }
            }
            if self.pos == start {
                self.pos += 1;
            }
        }
        out
    }

    /// Skips to the next newline outside brackets.
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Newline if depth == 0 => return,
                Tok::Punct("{" | "[" | "(") => depth += 1,
                Tok::Punct("}" | "]" | ")") => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn statement(&mut self) -> PResult<Statement> {
        let start = self.span().start;
        let mut decorators = Vec::new();
        while self.eat_punct("@") {
            decorators.push(self.postfix()?);
            self.skip_newlines();
        }
        let Tok::Ident(keyword) = self.peek().clone() else {
            let found = self.describe();
            return self.fail(format!("expected a declaration, found {found}"));
        };
        self.pos += 1;
        let kind = match keyword.as_str() {
            "targetScope" => {
                self.expect_punct("=")?;
                StmtKind::TargetScope(self.expr()?)
            }
            "param" => {
                let name = self.ident("a parameter name")?;
                let ty = if self.is_punct("=") {
                    None
                } else {
                    Some(self.type_text()?)
                };
                let value = if self.eat_punct("=") {
                    Some(self.expr()?)
                } else {
                    None
                };
                StmtKind::Param { name, ty, value }
            }
            "var" => {
                let name = self.ident("a variable name")?;
                if !self.is_punct("=") {
                    self.type_text()?;
                }
                self.expect_punct("=")?;
                StmtKind::Var {
                    name,
                    value: self.expr()?,
                }
            }
            "resource" => {
                let name = self.ident("a resource name")?;
                let type_ref = self.plain_string("a resource type")?;
                let existing = if self.is_ident("existing") {
                    self.pos += 1;
                    true
                } else {
                    false
                };
                self.expect_punct("=")?;
                self.skip_newlines_before_value();
                StmtKind::Resource {
                    name,
                    type_ref,
                    existing,
                    value: self.expr()?,
                }
            }
            "module" => {
                let name = self.ident("a module name")?;
                let path = self.plain_string("a module path")?;
                self.expect_punct("=")?;
                self.skip_newlines_before_value();
                StmtKind::Module {
                    name,
                    path,
                    value: self.expr()?,
                }
            }
            "output" => {
                let name = self.ident("an output name")?;
                let ty = self.type_text()?;
                self.expect_punct("=")?;
                StmtKind::Output {
                    name,
                    ty,
                    value: self.expr()?,
                }
            }
            "using" => {
                if self.is_ident("none") {
                    self.pos += 1;
                    StmtKind::Using(None)
                } else {
                    let path = self.plain_string("a template path")?;
                    // `using 'x' with { ... }` (deployment configuration).
                    self.rest_of_statement();
                    StmtKind::Using(Some(path))
                }
            }
            "type" | "func" | "import" | "metadata" | "extension" | "provider" | "assert"
            | "extends" => {
                self.rest_of_statement();
                StmtKind::Other(keyword)
            }
            _ => {
                self.pos -= 1;
                let found = self.describe();
                return self.fail(format!("expected a declaration, found {found}"));
            }
        };
        Ok(Statement {
            decorators,
            kind,
            span: Span::new(start, self.prev_end().max(start)),
        })
    }

    /// Bicep lets a `resource` or `module` body start on the line after `=`, which is how
    /// long conditional declarations are usually wrapped (`= ⏎ if (!empty(x)) {`). Newlines
    /// are skipped only when a value follows, so a bare `=` still ends in a located error.
    fn skip_newlines_before_value(&mut self) {
        if matches!(self.peek(), Tok::Newline)
            && !matches!(self.peek_past_newlines(), Tok::Eof | Tok::Punct("}"))
        {
            self.skip_newlines();
        }
    }

    /// Skips what is left of a statement we do not model, keeping brackets balanced across
    /// lines; the values inside are still lexed, so bad strings are reported.
    fn rest_of_statement(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Newline if depth == 0 => {
                    // A continuation line (`| 'b'` of a union type, a body after `=>`)
                    // belongs to this statement.
                    let after_arrow = self.pos > 0
                        && matches!(
                            self.toks.get(self.pos - 1).map(|t| &t.tok),
                            Some(Tok::Punct("=>" | "="))
                        );
                    if after_arrow || matches!(self.peek_past_newlines(), Tok::Punct("|")) {
                        self.skip_newlines();
                        continue;
                    }
                    return;
                }
                Tok::Punct("{" | "[" | "(" | "<") => depth += 1,
                Tok::Punct("}" | "]" | ")" | ">") => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// A type expression, kept as text: up to `=` (or the end of the line) outside brackets.
    fn type_text(&mut self) -> PResult<(String, Span)> {
        let start = self.span().start;
        let mut depth = 0usize;
        let first = self.pos;
        loop {
            match self.peek() {
                Tok::Eof => break,
                Tok::Newline if depth == 0 => {
                    if matches!(self.peek_past_newlines(), Tok::Punct("|")) {
                        self.skip_newlines();
                        continue;
                    }
                    break;
                }
                Tok::Punct("=") if depth == 0 => break,
                Tok::Punct("{" | "[" | "(" | "<") => depth += 1,
                Tok::Punct("}" | "]" | ")" | ">") => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == first {
            let found = self.describe();
            return self.fail(format!("expected a type, found {found}"));
        }
        let end = self.prev_end();
        let text = self.text.get(start..end).unwrap_or_default().to_string();
        Ok((text, Span::new(start, end)))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("expression nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.ternary()
    }

    fn ternary(&mut self) -> PResult<Expr> {
        let cond = self.binary(0)?;
        // A `?` may start the next line of a multi-line condition.
        if self.is_punct("?") || matches!(self.peek_past_newlines(), Tok::Punct("?")) {
            self.skip_newlines();
            self.pos += 1;
            self.skip_newlines();
            // The branches sit one level down (`a ? b : c ? d : …` nests to the right).
            self.enter()?;
            let then = self.expr()?;
            self.skip_newlines();
            self.expect_punct(":")?;
            self.skip_newlines();
            let otherwise = self.expr()?;
            self.depth -= 1;
            let span = Span::new(cond.span.start, otherwise.span.end);
            return Ok(Expr {
                kind: ExprKind::Ternary {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
                span,
            });
        }
        Ok(cond)
    }

    /// Binary operators by precedence level, loosest first.
    fn binary(&mut self, level: usize) -> PResult<Expr> {
        const LEVELS: &[&[&str]] = &[
            &["??"],
            &["||"],
            &["&&"],
            &["==", "!=", "=~", "!~"],
            &["<", "<=", ">", ">="],
            &["+", "-"],
            &["*", "/", "%"],
        ];
        let Some(ops) = LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.binary(level + 1)?;
        // Each operator of a chain (`a + b + c …`) nests the tree one level deeper to the
        // left, as brackets do: counted alike, so no tree is deeper than `MAX_DEPTH` (the
        // derived `Clone` and `Drop` recurse through it).
        let mut steps = 0;
        loop {
            // Logical operators may begin a continuation line.
            let op = match self.peek() {
                Tok::Punct(p) if ops.contains(p) => *p,
                Tok::Newline => match self.peek_past_newlines() {
                    Tok::Punct(p @ ("??" | "||" | "&&")) if ops.contains(p) => *p,
                    _ => break,
                },
                _ => break,
            };
            self.skip_newlines();
            self.pos += 1;
            self.skip_newlines();
            self.enter()?;
            steps += 1;
            let right = self.binary(level + 1)?;
            let span = Span::new(left.span.start, right.span.end);
            left = Expr {
                kind: ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            };
        }
        self.depth -= steps;
        Ok(left)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let start = self.span().start;
        let op = match self.peek() {
            Tok::Punct(p @ ("!" | "-" | "+")) => *p,
            _ => return self.postfix(),
        };
        self.pos += 1;
        self.enter()?;
        let expr = self.unary()?;
        self.depth -= 1;
        Ok(Expr {
            span: Span::new(start, expr.span.end),
            kind: ExprKind::Unary {
                op,
                expr: Box::new(expr),
            },
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        let start = e.span.start;
        // Each `.name`, `[index]`, `(args)` and `!` wraps the expression one level deeper;
        // arguments and indexes are read at that depth.
        let mut steps = 0;
        loop {
            if self.is_punct(".?")
                || self.is_punct(".")
                || self.is_punct("::")
                || self.is_punct("[")
                || self.is_punct("(")
                || self.is_punct("!")
            {
                self.enter()?;
                steps += 1;
            }
            let safe = self.is_punct(".?");
            // `a.?[0]`: safe index.
            let safe_index = safe
                && matches!(
                    self.toks.get(self.pos + 1),
                    Some(Token {
                        tok: Tok::Punct("["),
                        ..
                    })
                );
            if safe_index {
                self.pos += 1;
            }
            if !safe_index && (self.is_punct(".") || safe || self.is_punct("::")) {
                self.pos += 1;
                let name = self.ident("a property name")?;
                e = Expr {
                    span: Span::new(start, name.span.end),
                    kind: ExprKind::Member {
                        base: Box::new(e),
                        name: name.name,
                        safe,
                    },
                };
            } else if self.is_punct("[") {
                self.pos += 1;
                let safe = self.eat_punct("?") || safe_index;
                self.skip_newlines();
                let index = self.expr()?;
                self.skip_newlines();
                self.expect_punct("]")?;
                e = Expr {
                    span: Span::new(start, self.prev_end()),
                    kind: ExprKind::Index {
                        base: Box::new(e),
                        index: Box::new(index),
                        safe,
                    },
                };
            } else if self.is_punct("(") {
                self.pos += 1;
                let args = self.list(")")?;
                e = Expr {
                    span: Span::new(start, self.prev_end()),
                    kind: ExprKind::Call {
                        callee: Box::new(e),
                        args,
                    },
                };
            } else if self.is_punct("!") {
                self.pos += 1;
                e = Expr {
                    span: Span::new(start, self.prev_end()),
                    kind: ExprKind::NonNull(Box::new(e)),
                };
            } else {
                self.depth -= steps;
                return Ok(e);
            }
        }
    }

    /// Comma-separated expressions up to `close` (newlines allowed anywhere).
    fn list(&mut self, close: &str) -> PResult<Vec<Expr>> {
        let mut out = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat_punct(close) {
                return Ok(out);
            }
            out.push(self.expr()?);
            self.skip_newlines();
            if !self.eat_punct(",") && !self.is_punct(close) {
                let found = self.describe();
                return self.fail(format!("expected `,` or `{close}`, found {found}"));
            }
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.primary_inner();
        self.depth -= 1;
        r
    }

    fn primary_inner(&mut self) -> PResult<Expr> {
        let span = self.span();
        match self.peek().clone() {
            Tok::Str(pieces) => {
                self.pos += 1;
                let mut parts = Vec::new();
                for p in pieces {
                    match p {
                        Piece::Text(t, s) => parts.push(StrPart::Text(t, s)),
                        Piece::Interp(range) => parts.push(StrPart::Interp(self.sub_expr(range)?)),
                    }
                }
                Ok(Expr {
                    kind: ExprKind::Str(parts),
                    span,
                })
            }
            Tok::MultiStr(s) => {
                self.pos += 1;
                Ok(Expr {
                    kind: ExprKind::Str(vec![StrPart::Text(s, span)]),
                    span,
                })
            }
            Tok::Number(n) => {
                self.pos += 1;
                match n.parse::<i64>() {
                    Ok(v) => Ok(Expr {
                        kind: ExprKind::Int(v),
                        span,
                    }),
                    Err(_) => {
                        self.errors.push(ParseError::new(
                            format!("`{n}` is not an integer Bicep can hold"),
                            span,
                        ));
                        Ok(Expr {
                            kind: ExprKind::Error,
                            span,
                        })
                    }
                }
            }
            Tok::Ident(word) => {
                // `x => body`
                if matches!(
                    self.toks.get(self.pos + 1),
                    Some(Token {
                        tok: Tok::Punct("=>"),
                        ..
                    })
                ) {
                    self.pos += 2;
                    self.skip_newlines();
                    let body = self.expr()?;
                    return Ok(Expr {
                        span: Span::new(span.start, body.span.end),
                        kind: ExprKind::Lambda {
                            params: vec![word],
                            body: Box::new(body),
                        },
                    });
                }
                self.pos += 1;
                let kind = match word.as_str() {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    "if" if self.is_punct("(") => {
                        self.pos += 1;
                        self.skip_newlines();
                        let cond = self.expr()?;
                        self.skip_newlines();
                        self.expect_punct(")")?;
                        self.skip_newlines();
                        let body = self.expr()?;
                        return Ok(Expr {
                            span: Span::new(span.start, body.span.end),
                            kind: ExprKind::If {
                                cond: Box::new(cond),
                                body: Box::new(body),
                            },
                        });
                    }
                    _ => ExprKind::Ident(word),
                };
                Ok(Expr { kind, span })
            }
            Tok::Punct("(") => {
                if let Some(lambda) = self.try_lambda()? {
                    return Ok(lambda);
                }
                self.pos += 1;
                self.skip_newlines();
                let inner = self.expr()?;
                self.skip_newlines();
                self.expect_punct(")")?;
                Ok(Expr {
                    span: Span::new(span.start, self.prev_end()),
                    kind: inner.kind,
                })
            }
            Tok::Punct("{") => {
                self.pos += 1;
                self.object(span.start)
            }
            Tok::Punct("[") => {
                self.pos += 1;
                self.skip_newlines();
                if self.is_ident("for") {
                    self.pos += 1;
                    return self.for_expr(span.start);
                }
                self.array(span.start)
            }
            Tok::Punct("...") => {
                self.pos += 1;
                let inner = self.expr()?;
                Ok(Expr {
                    span: Span::new(span.start, inner.span.end),
                    kind: ExprKind::Spread(Box::new(inner)),
                })
            }
            _ => {
                let found = self.describe();
                self.fail(format!("expected a value, found {found}"))
            }
        }
    }

    /// `(a, b) => body` when the parenthesis opens a lambda's parameters.
    fn try_lambda(&mut self) -> PResult<Option<Expr>> {
        let start = self.span().start;
        let mut i = self.pos + 1;
        let mut params = Vec::new();
        loop {
            match self.toks.get(i).map(|t| &t.tok) {
                Some(Tok::Ident(w)) => {
                    params.push(w.clone());
                    i += 1;
                    match self.toks.get(i).map(|t| &t.tok) {
                        Some(Tok::Punct(",")) => i += 1,
                        Some(Tok::Punct(")")) => break,
                        _ => return Ok(None),
                    }
                }
                Some(Tok::Punct(")")) if params.is_empty() => break,
                _ => return Ok(None),
            }
        }
        if !matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::Punct("=>"))) {
            return Ok(None);
        }
        self.pos = i + 2;
        self.skip_newlines();
        let body = self.expr()?;
        Ok(Some(Expr {
            span: Span::new(start, body.span.end),
            kind: ExprKind::Lambda {
                params,
                body: Box::new(body),
            },
        }))
    }

    /// An expression inside a string interpolation.
    fn sub_expr(&mut self, range: Span) -> PResult<Expr> {
        let toks = lex(self.text, range, self.errors);
        let saved = (std::mem::replace(&mut self.toks, toks), self.pos);
        self.pos = 0;
        let r = self.expr().and_then(|e| {
            if matches!(self.peek(), Tok::Eof) {
                Ok(e)
            } else {
                let found = self.describe();
                self.fail(format!(
                    "expected `}}` after the interpolation, found {found}"
                ))
            }
        });
        (self.toks, self.pos) = saved;
        r
    }

    fn object(&mut self, start: usize) -> PResult<Expr> {
        let mut props = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat_punct("}") {
                break;
            }
            // Decorators on properties of object types or values (`@description('x')`).
            while self.eat_punct("@") {
                self.postfix()?;
                self.skip_newlines();
            }
            if self.is_punct("...") {
                let value = self.primary()?;
                props.push(Property { key: None, value });
            } else if self.is_ident("resource")
                && matches!(
                    self.toks.get(self.pos + 1).map(|t| &t.tok),
                    Some(Tok::Ident(_))
                )
            {
                // A nested child resource: read as a statement of its own.
                let depth = self.depth;
                let stmt = self.statement()?;
                self.depth = depth;
                self.nested.push(stmt);
            } else {
                let key_span = self.span();
                let name = match self.peek().clone() {
                    Tok::Ident(w) => {
                        self.pos += 1;
                        Some(w)
                    }
                    Tok::Str(_) => self.primary()?.as_plain_str(),
                    _ => {
                        let found = self.describe();
                        return self.fail(format!("expected a property name, found {found}"));
                    }
                };
                self.expect_punct(":")?;
                self.skip_newlines();
                let value = self.expr()?;
                props.push(Property {
                    key: Some(Key {
                        name,
                        span: key_span,
                    }),
                    value,
                });
            }
            if !self.eat_punct(",") && !matches!(self.peek(), Tok::Newline | Tok::Punct("}")) {
                let found = self.describe();
                return self.fail(format!(
                    "expected a new line, `,` or `}}` after a property, found {found}"
                ));
            }
        }
        Ok(Expr {
            kind: ExprKind::Object(props),
            span: Span::new(start, self.prev_end()),
        })
    }

    fn array(&mut self, start: usize) -> PResult<Expr> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat_punct("]") {
                break;
            }
            items.push(self.expr()?);
            if !self.eat_punct(",") && !matches!(self.peek(), Tok::Newline | Tok::Punct("]")) {
                let found = self.describe();
                return self.fail(format!(
                    "expected a new line, `,` or `]` after an item, found {found}"
                ));
            }
        }
        Ok(Expr {
            kind: ExprKind::Array(items),
            span: Span::new(start, self.prev_end()),
        })
    }

    /// `[for x in xs: body]` after `[for`.
    fn for_expr(&mut self, start: usize) -> PResult<Expr> {
        let mut vars = Vec::new();
        if self.eat_punct("(") {
            loop {
                vars.push(self.ident("a loop variable")?.name);
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(")")?;
        } else {
            vars.push(self.ident("a loop variable")?.name);
        }
        if !self.is_ident("in") {
            let found = self.describe();
            return self.fail(format!("expected `in`, found {found}"));
        }
        self.pos += 1;
        let iter = self.expr()?;
        self.expect_punct(":")?;
        self.skip_newlines();
        let body = self.expr()?;
        self.skip_newlines();
        self.expect_punct("]")?;
        Ok(Expr {
            span: Span::new(start, self.prev_end()),
            kind: ExprKind::For {
                vars,
                iter: Box::new(iter),
                body: Box::new(body),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(src: &str) -> Vec<Statement> {
        let mut e = Vec::new();
        let p = parse_program(src, &mut e);
        assert!(e.is_empty(), "{e:?}");
        p
    }

    fn value(src: &str) -> Expr {
        let p = parse_ok(&format!("var x = {src}\n"));
        match &p[0].kind {
            StmtKind::Var { value, .. } => value.clone(),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn declarations() {
        let src = "targetScope = 'subscription'\n\
            @secure()\n@description('db password')\nparam dbPassword string\n\
            @allowed([\n  'a'\n  'b'\n])\nparam sku string = 'a'\n\
            @minValue(1)\nparam count int = 2\n\
            param tags resourceInput<'Microsoft.Web/sites@2024-01-01'>.tags?\n\
            param kind 'a' | 'b' = 'a'\n\
            var name = 'app-${sku}'\n\
            resource kv 'Microsoft.KeyVault/vaults@2023-07-01' existing = {\n  name: 'kv'\n}\n\
            resource app 'Microsoft.App/containerApps@2024-03-01' = if (count > 1) {\n  name: name\n  parent: kv\n}\n\
            module m './m.bicep' = [for i in range(0, 2): {\n  name: 'm${i}'\n  params: {\n    a: i\n  }\n}]\n\
            output id string = app.id\n\
            type t = { a: string, b: int? }\n\
            func f(a string) string => '${a}!'\n\
            import { x } from './types.bicep'\n\
            import * as ns from './types.bicep'\n\
            metadata info = { a: 1 }\n";
        let p = parse_ok(src);
        assert_eq!(p.len(), 16);
        let StmtKind::Param { name, ty, value } = &p[1].kind else {
            panic!()
        };
        assert_eq!(name.name, "dbPassword");
        assert_eq!(ty.as_ref().unwrap().0, "string");
        assert!(value.is_none());
        assert!(p[1].has_decorator("secure"));
        let StmtKind::Param { ty, .. } = &p[4].kind else {
            panic!()
        };
        assert_eq!(
            ty.as_ref().unwrap().0,
            "resourceInput<'Microsoft.Web/sites@2024-01-01'>.tags?"
        );
        let StmtKind::Resource {
            existing, type_ref, ..
        } = &p[7].kind
        else {
            panic!()
        };
        assert!(existing);
        assert_eq!(type_ref.0, "Microsoft.KeyVault/vaults@2023-07-01");
        let StmtKind::Resource { value, .. } = &p[8].kind else {
            panic!()
        };
        assert!(matches!(value.kind, ExprKind::If { .. }));
        assert!(value.body().get("parent").is_some());
        let StmtKind::Module { value, .. } = &p[9].kind else {
            panic!()
        };
        assert!(matches!(value.kind, ExprKind::For { .. }));
        assert!(value.body().at(&["params", "a"]).is_some());
    }

    #[test]
    fn expressions() {
        let e = value("acr.listCredentials().passwords[0].value");
        assert!(matches!(&e.kind, ExprKind::Member { name, .. } if name == "value"));
        let e = value("a ? b : c ?? d");
        assert!(matches!(e.kind, ExprKind::Ternary { .. }));
        let e = value("{\n  a: 1, b: 'x'\n  'c-d': [\n    1\n    2\n  ]\n  ...other\n}");
        assert_eq!(e.props().len(), 4);
        assert_eq!(e.get("c-d").unwrap().items().len(), 2);
        let e = value("map(xs, x => x.name)");
        assert!(
            matches!(&e.kind, ExprKind::Call { args, .. } if matches!(args[1].kind, ExprKind::Lambda { .. }))
        );
        let e = value("reduce(xs, {}, (cur, next) => union(cur, next))");
        assert_eq!(e.call_name(), Some("reduce"));
        let e = value("a.outputs.b!");
        assert!(matches!(e.kind, ExprKind::NonNull(_)));
        let e = value("a.?[0].?b");
        assert!(matches!(e.kind, ExprKind::Member { safe: true, .. }));
    }

    #[test]
    fn declaration_values_on_the_next_line() {
        // As Azure-Samples/contoso-chat writes conditional resources (infra/core/ai/hub.bicep).
        let p = parse_ok(
            "resource search 'Microsoft.Search/searchServices@2021-04-01-preview' existing =\n  if (!empty(name)) {\n    name: name\n  }\nmodule m './m.bicep' =\n  [for x in xs: {\n    name: x\n  }]\nresource a 'A/b@1' =\n  {\n    name: 'a'\n  }\n",
        );
        assert_eq!(p.len(), 3);
        assert!(
            matches!(&p[0].kind, StmtKind::Resource { value, .. } if matches!(value.kind, ExprKind::If { .. }))
        );
        let mut errors = Vec::new();
        parse_program("resource a 'A/b@1' =\n", &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn multiline_conditions() {
        let e = value("cond\n  ? 'a'\n  : 'b'");
        assert!(matches!(e.kind, ExprKind::Ternary { .. }));
        let e = value("a\n  && b\n  || c");
        assert!(matches!(e.kind, ExprKind::Binary { op: "||", .. }));
    }

    #[test]
    fn nested_resources_and_pragmas() {
        let p = parse_ok(
            "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'x'\n  #disable-next-line BCP081\n  resource blob 'blobServices' existing = {\n    name: 'default'\n  }\n}\nfunc f(a string) string =>\n  '${a}'\n",
        );
        assert_eq!(p.len(), 3);
        assert!(matches!(&p[2].kind, StmtKind::Resource { name, .. } if name.name == "blob"));
    }

    #[test]
    fn bicepparam() {
        let p = parse_ok("using './main.bicep'\n\nparam image = 'nginx:1.27'\nparam n = 3\n");
        assert!(matches!(&p[0].kind, StmtKind::Using(Some((u, _))) if u == "./main.bicep"));
        assert!(matches!(
            &p[1].kind,
            StmtKind::Param {
                ty: None,
                value: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn errors_recover_and_are_bounded() {
        let mut e = Vec::new();
        let p = parse_program("var a = \nvar b = 'ok'\nwhat\n", &mut e);
        assert_eq!(e.len(), 2);
        assert_eq!(p.len(), 1);
        let deep = format!("var x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
        let mut e = Vec::new();
        parse_program(&deep, &mut e);
        assert!(e[0].message.contains("deeper"));
        let deep = format!("var x = '{}'\n", "${'".repeat(500));
        let mut e = Vec::new();
        parse_program(&deep, &mut e);
        assert!(!e.is_empty());
    }

    #[test]
    fn chains_calls_and_conditions_count_as_nesting() {
        // Each of these once built a 10,000-deep tree (or recursed 10,000 times) and
        // overflowed the stack; each is now a located error at the 65th level.
        let n = 10_000;
        for (what, value) in [
            ("sum", format!("1{}", " + 1".repeat(n))),
            ("and", format!("true{}", " && true".repeat(n))),
            ("coalesce", format!("a{}", " ?? a".repeat(n))),
            ("condition", format!("{}1", "true ? 1 : ".repeat(n))),
            ("members", format!("a{}", ".b".repeat(n))),
            ("indexes", format!("a{}", "[0]".repeat(n))),
            ("non-null", format!("a{}", "!".repeat(n))),
            ("calls", format!("{}1{}", "f(".repeat(n), ")".repeat(n))),
            ("lambdas", format!("{}1", "x => ".repeat(n))),
        ] {
            let mut e = Vec::new();
            let p = parse_program(&format!("var x = {value}\nvar y = 2\n"), &mut e);
            assert_eq!(e.len(), 1, "{what}: {e:?}");
            assert!(e[0].message.contains("deeper"), "{what}: {}", e[0].message);
            assert!(e[0].span.start > 8, "{what}: located where it got too deep");
            // The next statement is still read.
            assert!(
                p.iter()
                    .any(|s| matches!(&s.kind, StmtKind::Var { name, .. } if name.name == "y")),
                "{what}"
            );
        }
        // Ordinary chains are far from the limit.
        let mut e = Vec::new();
        parse_program(
            "var x = a.b.c.d[0].e(1, 2)!.f && b || c ?? d ? e + f * g : h\n",
            &mut e,
        );
        assert!(e.is_empty(), "{e:?}");
    }
}
