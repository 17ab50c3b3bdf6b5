//! Lexer and parser for Go `text/template` source. Every node keeps its byte offset.

use std::fmt::Write as _;
use std::rc::Rc;

use super::value::{Mark, Text, Value};

/// Deepest nesting of control structures and parentheses accepted.
pub const MAX_PARSE_DEPTH: usize = 100;
/// Native stack the parser may use (bytes).
pub const MAX_PARSE_STACK: usize = 512 << 10;

fn stack_addr() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Text {
        start: u32,
        end: u32,
    },
    Left, // {{ (after trim marker)
    Right,
    Space,
    Ident(&'a str),
    Keyword(&'static str),
    Bool(bool),
    Nil,
    Field(&'a str),
    Var(&'a str),
    Dot,
    Str(&'a str),  // quoted source
    Raw(&'a str),  // raw source with backquotes
    Char(&'a str), // source
    Number(&'a str),
    Pipe,
    LParen,
    RParen,
    Assign,
    Declare,
    Comma,
    /// A printable ASCII character with no meaning in an action (reported by the parser).
    Punct(char),
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok<'a>,
    pos: u32,
}

/// A parse (or lex) error: byte offset and message.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub pos: u32,
    pub msg: String,
    /// A nesting limit was hit (reported as a limit error).
    pub limit: bool,
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
];

fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r' || c == b'\n'
}

/// Position of the next `{{` at or after `from`.
fn find_left_delim(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(k) = b.get(i..)?.iter().position(|&c| c == b'{') {
        let j = i + k;
        if b.get(j + 1) == Some(&b'{') {
            return Some(j);
        }
        i = j + 1;
    }
    None
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    toks: Vec<Token<'a>>,
    paren: i32,
}

fn go_u(c: char) -> String {
    format!("U+{:04X} '{}'", c as u32, c)
}

impl<'a> Lexer<'a> {
    fn err(&self, pos: usize, msg: String) -> ParseError {
        ParseError {
            pos: pos as u32,
            msg,
            limit: false,
        }
    }

    fn run(mut self) -> Result<Vec<Token<'a>>, ParseError> {
        let mut trim_next_text = false;
        loop {
            // text
            let start = self.pos;
            let next = find_left_delim(self.b, self.pos);
            let end = next.unwrap_or(self.b.len());
            let mut ts = start;
            if trim_next_text {
                while ts < end && is_space(self.b[ts]) {
                    ts += 1;
                }
            }
            let mut te = end;
            let mut left_trim = false;
            if let Some(n) = next
                && self.b.len() > n + 3
                && self.b[n + 2] == b'-'
                && is_space(self.b[n + 3])
            {
                left_trim = true;
                while te > ts && is_space(self.b[te - 1]) {
                    te -= 1;
                }
            }
            if te > ts {
                self.toks.push(Token {
                    tok: Tok::Text {
                        start: ts as u32,
                        end: te as u32,
                    },
                    pos: ts as u32,
                });
            }
            let Some(n) = next else {
                self.toks.push(Token {
                    tok: Tok::Eof,
                    pos: self.b.len() as u32,
                });
                return Ok(self.toks);
            };
            // action
            self.pos = n + 2;
            if left_trim {
                self.pos += 2;
            }
            // comment?
            let after = self.pos;
            if self.src[after..].starts_with("/*") {
                let cstart = after;
                let Some(ce) = self.src[cstart + 2..].find("*/") else {
                    return Err(self.err(n, "unclosed comment".into()));
                };
                let mut p = cstart + 2 + ce + 2;
                // closing delimiter: "}}" or " -}}"
                let (trim, ok) = if self.src[p..].starts_with("}}") {
                    (false, true)
                } else if p < self.b.len()
                    && is_space(self.b[p])
                    && self.src[p + 1..].starts_with("-}}")
                {
                    p += 2;
                    (true, true)
                } else {
                    (false, false)
                };
                if !ok {
                    return Err(self.err(n, "comment ends before closing delimiter".into()));
                }
                self.pos = p + 2;
                trim_next_text = trim;
                continue;
            }
            self.toks.push(Token {
                tok: Tok::Left,
                pos: n as u32,
            });
            self.paren = 0;
            trim_next_text = self.lex_inside(n)?;
        }
    }

    /// End of the identifier (letters, digits, `_`) starting at `i`.
    fn scan_ident(&self, mut i: usize) -> usize {
        while i < self.b.len() {
            let c = self.b[i];
            if c.is_ascii_alphanumeric() || c == b'_' {
                i += 1;
            } else if c < 0x80 {
                break;
            } else {
                match self.src[i..].chars().next() {
                    Some(ch) if is_alnum(ch) => i += ch.len_utf8(),
                    _ => break,
                }
            }
        }
        i
    }

    fn skip_ws_pos(&self, mut p: usize) -> usize {
        while p < self.b.len() && is_space(self.b[p]) {
            p += 1;
        }
        p
    }

    /// Lexes inside an action; returns whether the right delimiter had a trim marker.
    fn lex_inside(&mut self, left: usize) -> Result<bool, ParseError> {
        loop {
            // right delimiter with trim marker
            if self.pos < self.b.len() && is_space(self.b[self.pos]) {
                let q = self.skip_ws_pos(self.pos);
                if self.src[q..].starts_with("-}}") {
                    if self.paren > 0 {
                        return Err(self.err(left, "unclosed left paren".into()));
                    }
                    self.toks.push(Token {
                        tok: Tok::Right,
                        pos: (q + 1) as u32,
                    });
                    self.pos = q + 3;
                    return Ok(true);
                }
                self.toks.push(Token {
                    tok: Tok::Space,
                    pos: self.pos as u32,
                });
                self.pos = q;
                continue;
            }
            if self.src[self.pos..].starts_with("}}") {
                if self.paren > 0 {
                    return Err(self.err(left, "unclosed left paren".into()));
                }
                self.toks.push(Token {
                    tok: Tok::Right,
                    pos: self.pos as u32,
                });
                self.pos += 2;
                return Ok(false);
            }
            let c = match self.b.get(self.pos) {
                None => return Err(self.err(left, "unclosed action".into())),
                Some(&b) if b < 0x80 => b as char,
                Some(_) => self.src[self.pos..].chars().next().unwrap_or('\u{FFFD}'),
            };
            let p = self.pos;
            match c {
                '=' => {
                    self.push(Tok::Assign, p);
                    self.pos += 1;
                }
                ':' => {
                    if self.b.get(p + 1) != Some(&b'=') {
                        return Err(self.err(p, "expected :=".into()));
                    }
                    self.push(Tok::Declare, p);
                    self.pos += 2;
                }
                '|' => {
                    self.push(Tok::Pipe, p);
                    self.pos += 1;
                }
                ',' => {
                    self.push(Tok::Comma, p);
                    self.pos += 1;
                }
                '"' => {
                    let mut i = p + 1;
                    loop {
                        match self.b.get(i) {
                            None | Some(b'\n') => {
                                return Err(self.err(p, "unterminated quoted string".into()));
                            }
                            Some(b'\\') => {
                                if matches!(self.b.get(i + 1), None | Some(b'\n')) {
                                    return Err(self.err(p, "unterminated quoted string".into()));
                                }
                                i += 2;
                            }
                            Some(b'"') => break,
                            Some(_) => i += 1,
                        }
                    }
                    self.push(Tok::Str(&self.src[p..=i]), p);
                    self.pos = i + 1;
                }
                '`' => {
                    let Some(e) = self.src[p + 1..].find('`') else {
                        return Err(self.err(p, "unterminated raw quoted string".into()));
                    };
                    let end = p + 1 + e;
                    self.push(Tok::Raw(&self.src[p..=end]), p);
                    self.pos = end + 1;
                }
                '\'' => {
                    let mut i = p + 1;
                    loop {
                        match self.b.get(i) {
                            None | Some(b'\n') => {
                                return Err(self.err(p, "unterminated character constant".into()));
                            }
                            Some(b'\\') => i += 2,
                            Some(b'\'') => break,
                            Some(_) => i += 1,
                        }
                    }
                    self.push(Tok::Char(&self.src[p..=i]), p);
                    self.pos = i + 1;
                }
                '$' => {
                    let i = self.scan_ident(p + 1);
                    self.push(Tok::Var(&self.src[p..i]), p);
                    self.pos = i;
                    self.check_term()?;
                }
                '.' => {
                    // special look-ahead for ".field" vs number ".5"
                    if let Some(&d) = self.b.get(p + 1)
                        && d.is_ascii_digit()
                    {
                        self.number(p)?;
                        continue;
                    }
                    let i = self.scan_ident(p + 1);
                    if i == p + 1 {
                        self.push(Tok::Dot, p);
                    } else {
                        self.push(Tok::Field(&self.src[p..i]), p);
                    }
                    self.pos = i;
                    if i > p + 1 {
                        self.check_term()?;
                    }
                }
                '+' | '-' | '0'..='9' => {
                    self.number(p)?;
                }
                '(' => {
                    self.push(Tok::LParen, p);
                    self.paren += 1;
                    self.pos += 1;
                }
                ')' => {
                    self.paren -= 1;
                    if self.paren < 0 {
                        return Err(self.err(p, format!("unexpected right paren {}", go_u(')'))));
                    }
                    self.push(Tok::RParen, p);
                    self.pos += 1;
                }
                c if is_alnum(c) => {
                    let i = self.scan_ident(p);
                    let w: &'a str = &self.src[p..i];
                    let tok = if let Some(k) = KEYWORDS.iter().find(|k| **k == w) {
                        Tok::Keyword(k)
                    } else if w == "true" || w == "false" {
                        Tok::Bool(w == "true")
                    } else if w == "nil" {
                        Tok::Nil
                    } else {
                        Tok::Ident(w)
                    };
                    self.push(tok, p);
                    self.pos = i;
                    self.check_term()?;
                }
                c if c.is_ascii_graphic() => {
                    self.push(Tok::Punct(c), p);
                    self.pos += 1;
                }
                c => {
                    return Err(
                        self.err(p, format!("unrecognized character in action: {}", go_u(c)))
                    );
                }
            }
        }
    }

    fn check_term(&self) -> Result<(), ParseError> {
        let rest = &self.src[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Ok(());
        };
        if is_space(c as u32 as u8) && c.is_ascii()
            || matches!(c, '.' | ',' | '|' | ':' | ')' | '(')
            || rest.starts_with("}}")
        {
            return Ok(());
        }
        Err(self.err(self.pos, format!("bad character {}", go_u(c))))
    }

    fn number(&mut self, p: usize) -> Result<(), ParseError> {
        let b = self.b;
        let mut i = p;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        if i < b.len() && b[i] == b'0' {
            i += 1;
            if i < b.len() && (b[i] == b'x' || b[i] == b'X') {
                i += 1;
                digits = b"0123456789abcdefABCDEF_";
            } else if i < b.len() && (b[i] == b'o' || b[i] == b'O') {
                i += 1;
                digits = b"01234567_";
            } else if i < b.len() && (b[i] == b'b' || b[i] == b'B') {
                i += 1;
                digits = b"01_";
            }
        }
        while i < b.len() && digits.contains(&b[i]) {
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && digits.contains(&b[i]) {
                i += 1;
            }
        }
        if digits.len() == 11 && i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            while i < b.len() && b"0123456789_".contains(&b[i]) {
                i += 1;
            }
        }
        if digits.len() == 23 && i < b.len() && (b[i] == b'p' || b[i] == b'P') {
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            while i < b.len() && b"0123456789_".contains(&b[i]) {
                i += 1;
            }
        }
        if i < b.len() && b[i] == b'i' {
            i += 1;
        }
        if let Some(c) = self.src[i..].chars().next()
            && is_alnum(c)
        {
            let e = i + c.len_utf8();
            return Err(self.err(p, format!("bad number syntax: {:?}", &self.src[p..e])));
        }
        self.push(Tok::Number(&self.src[p..i]), p);
        self.pos = i;
        Ok(())
    }

    fn push(&mut self, tok: Tok<'a>, pos: usize) {
        self.toks.push(Token {
            tok,
            pos: pos as u32,
        });
    }
}

// ---------------------------------------------------------------- AST

/// Reference to a function resolved at parse time.
pub type FuncId = u16;

#[derive(Debug)]
pub enum Arg {
    Field {
        pos: u32,
        idents: Vec<Rc<str>>,
    },
    Chain {
        pos: u32,
        node: Box<Arg>,
        fields: Vec<Rc<str>>,
    },
    Var {
        pos: u32,
        name: Rc<str>,
        fields: Vec<Rc<str>>,
    },
    Dot {
        pos: u32,
    },
    Nil {
        pos: u32,
    },
    Bool {
        pos: u32,
        val: Value,
    },
    Number {
        pos: u32,
        text: String,
        num: Box<Number>,
        val: Value,
    },
    Str {
        pos: u32,
        quoted: String,
        val: Value,
    },
    Ident {
        pos: u32,
        name: Rc<str>,
        func: FuncId,
    },
    Pipe(Box<Pipe>),
}

/// Go's NumberNode facts.
#[derive(Debug, Clone, Default)]
pub struct Number {
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
    /// Literal is written as a float (contains . e E p P and is not hex int / char).
    pub float_syntax: bool,
}

#[derive(Debug)]
pub struct Cmd {
    pub pos: u32,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub struct Pipe {
    pub pos: u32,
    pub is_assign: bool,
    pub decl: Vec<(u32, Rc<str>)>,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug)]
pub enum Node {
    /// Template text: bytes `start..end` of the source.
    Text {
        start: u32,
        end: u32,
    },
    Action {
        pos: u32,
        end: u32,
        pipe: Pipe,
    },
    If {
        pos: u32,
        pipe: Pipe,
        list: Vec<Node>,
        else_list: Option<Vec<Node>>,
    },
    With {
        pos: u32,
        pipe: Pipe,
        list: Vec<Node>,
        else_list: Option<Vec<Node>>,
    },
    Range {
        pos: u32,
        pipe: Pipe,
        list: Vec<Node>,
        else_list: Option<Vec<Node>>,
    },
    Template {
        pos: u32,
        end: u32,
        name: String,
        pipe: Option<Pipe>,
    },
    Break {
        pos: u32,
    },
    Continue {
        pos: u32,
    },
}

/// One parsed source (a chart file or a `tpl` string).
#[derive(Debug)]
pub struct Source {
    /// Go's ParseName (the file name) used in error locations.
    pub name: String,
    pub text: String,
    /// Template id put into `Mark::Template` of literals from this source.
    pub id: u32,
}

impl Source {
    /// Go's `line:col` for an offset (col is the 0-based byte offset in the line, as Go prints).
    pub fn line_col(&self, pos: u32) -> (usize, usize) {
        let pos = (pos as usize).min(self.text.len());
        let before = &self.text.as_bytes()[..pos];
        let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
        let col = match before.iter().rposition(|&c| c == b'\n') {
            Some(i) => pos - (i + 1),
            None => pos,
        };
        (line, col)
    }
    pub fn line(&self, pos: u32) -> usize {
        self.line_col(pos).0
    }
}

/// A named template body.
#[derive(Debug)]
pub struct Tree {
    pub name: String,
    pub source: Rc<Source>,
    pub root: Vec<Node>,
}

impl Tree {
    /// Go's `parse.IsEmptyTree`: only whitespace text (and comments).
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| match n {
            Node::Text { start, end } => self
                .source
                .text
                .get(*start as usize..*end as usize)
                .map(|t| t.trim().is_empty())
                .unwrap_or(true),
            _ => false,
        })
    }
}

/// Result of parsing one source: the main tree and the `define`d trees, in order.
pub struct Parsed {
    pub main: Rc<Tree>,
    pub defines: Vec<Rc<Tree>>,
}

// ---------------------------------------------------------------- String() like Go

pub fn arg_string(a: &Arg, out: &mut String) {
    match a {
        Arg::Field { idents, .. } => {
            for i in idents {
                out.push('.');
                out.push_str(i);
            }
        }
        Arg::Chain { node, fields, .. } => {
            if let Arg::Pipe(p) = &**node {
                out.push('(');
                pipe_string(p, out);
                out.push(')');
            } else {
                arg_string(node, out);
            }
            for f in fields {
                out.push('.');
                out.push_str(f);
            }
        }
        Arg::Var { name, fields, .. } => {
            out.push_str(name);
            for f in fields {
                out.push('.');
                out.push_str(f);
            }
        }
        Arg::Dot { .. } => out.push('.'),
        Arg::Nil { .. } => out.push_str("nil"),
        Arg::Bool { val, .. } => out.push_str(if val.truthy() { "true" } else { "false" }),
        Arg::Number { text, .. } => out.push_str(text),
        Arg::Str { quoted, .. } => out.push_str(quoted),
        Arg::Ident { name, .. } => out.push_str(name),
        Arg::Pipe(p) => pipe_string(p, out),
    }
}

pub fn cmd_string(c: &Cmd, out: &mut String) {
    for (i, a) in c.args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if let Arg::Pipe(p) = a {
            out.push('(');
            pipe_string(p, out);
            out.push(')');
        } else {
            arg_string(a, out);
        }
    }
}

pub fn pipe_string(p: &Pipe, out: &mut String) {
    if !p.decl.is_empty() {
        for (i, (_, v)) in p.decl.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(v);
        }
        out.push_str(if p.is_assign { " = " } else { " := " });
    }
    for (i, c) in p.cmds.iter().enumerate() {
        if i > 0 {
            out.push_str(" | ");
        }
        cmd_string(c, out);
    }
}

pub fn node_string(n: &Node) -> String {
    let mut s = String::new();
    match n {
        Node::Text { start, end } => {
            let _ = write!(s, "text {}..{}", start, end);
        }
        Node::Action { pipe, .. } => {
            s.push_str("{{");
            pipe_string(pipe, &mut s);
            s.push_str("}}");
        }
        Node::If { pipe, .. } | Node::With { pipe, .. } | Node::Range { pipe, .. } => {
            let kw = match n {
                Node::If { .. } => "if",
                Node::With { .. } => "with",
                _ => "range",
            };
            s.push_str("{{");
            s.push_str(kw);
            s.push(' ');
            pipe_string(pipe, &mut s);
            s.push_str("}}");
        }
        Node::Template { name, pipe, .. } => {
            s.push_str("{{template ");
            let _ = write!(s, "{:?}", name);
            if let Some(p) = pipe {
                s.push(' ');
                pipe_string(p, &mut s);
            }
            s.push_str("}}");
        }
        Node::Break { .. } => s.push_str("{{break}}"),
        Node::Continue { .. } => s.push_str("{{continue}}"),
    }
    s
}

// ---------------------------------------------------------------- literal helpers

/// Unquotes a Go interpreted string literal (with the quotes).
pub fn unquote_go(q: &str) -> Option<String> {
    let inner = q.get(1..q.len().checked_sub(1)?)?;
    if !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let mut out = String::new();
    let mut it = inner.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = it.next()?;
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => return None,
            'x' => {
                let h: String = [it.next()?, it.next()?].iter().collect();
                let v = u8::from_str_radix(&h, 16).ok()?;
                out.push(v as char);
            }
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let mut h = String::new();
                for _ in 0..n {
                    h.push(it.next()?);
                }
                out.push(char::from_u32(u32::from_str_radix(&h, 16).ok()?)?);
            }
            '0'..='7' => {
                let h: String = [e, it.next()?, it.next()?].iter().collect();
                let v = u32::from_str_radix(&h, 8).ok()?;
                if v > 255 {
                    return None;
                }
                out.push(v as u8 as char);
            }
            _ => return None,
        }
    }
    Some(out)
}

fn unquote_char(q: &str) -> Option<char> {
    let inner = q.get(1..q.len().checked_sub(1)?)?;
    if let Some(rest) = inner.strip_prefix('\\') {
        let s = match rest {
            "'" => return Some('\''),
            "\"" => return None,
            _ => unquote_go(&format!("\"\\{}\"", rest))?,
        };
        let mut cs = s.chars();
        let c = cs.next()?;
        if cs.next().is_some() {
            return None;
        }
        return Some(c);
    }
    let mut cs = inner.chars();
    let c = cs.next()?;
    if cs.next().is_some() {
        return None;
    }
    Some(c)
}

/// Go's `strconv.ParseInt(s, 0, 64)` / ParseUint with base prefixes and underscores.
pub fn parse_go_int(s: &str) -> Option<(bool, u64)> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string(), true)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string(), true)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    // underscores: only allowed with base prefix (base 0 semantics), between digits
    if digits.contains('_') {
        let d2 = if prefixed {
            format!("_{digits}")
        } else {
            digits.clone()
        };
        if !prefixed && digits.contains('_') {
            // Go allows underscores in base 0 decimal too ("1_000")
        }
        let ok = !d2.ends_with('_') && !d2.contains("__") && (prefixed || !d2.starts_with('_'));
        if !ok {
            return None;
        }
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    let v = u64::from_str_radix(&clean, radix).ok()?;
    Some((neg, v))
}

/// Go hexadecimal floating-point literal (`0x1p-2`, `0x1.8p3`).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))?;
    let (mant, exp) = body.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in ip.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in fp.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let r = v * 2f64.powi(exp);
    Some(if neg { -r } else { r })
}

fn parse_number(text: &str) -> Result<Number, String> {
    let mut n = Number::default();
    if text.starts_with('\'') {
        let c =
            unquote_char(text).ok_or_else(|| format!("malformed character constant: {}", text))?;
        n.is_int = true;
        n.int = c as i64;
        n.is_uint = true;
        n.uint = c as u64;
        n.is_float = true;
        n.float = c as u32 as f64;
        return Ok(n);
    }
    if text.ends_with('i') {
        return Err(format!("complex number not supported: {}", text));
    }
    if let Some((neg, u)) = parse_go_int(text) {
        if !neg {
            n.is_uint = true;
            n.uint = u;
        }
        if neg {
            if u <= i64::MAX as u64 + 1 {
                n.is_int = true;
                n.int = (u as i128).wrapping_neg() as i64;
            }
        } else if u <= i64::MAX as u64 {
            n.is_int = true;
            n.int = u as i64;
        }
        if n.is_int && n.int == 0 {
            n.is_uint = true;
        }
    }
    let lower = text.to_ascii_lowercase();
    let is_hex = lower.trim_start_matches(['+', '-']).starts_with("0x");
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else {
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        if let Some(f) = parse_hex_float(&clean) {
            n.is_float = true;
            n.float = f;
            if f.fract() == 0.0 && f.abs() < 9.2e18 {
                n.is_int = true;
                n.int = f as i64;
            }
        } else if let Ok(f) = clean.parse::<f64>() {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(format!("illegal number syntax: {:?}", text));
            }
            n.is_float = true;
            n.float = f;
            if !n.is_int && f.fract() == 0.0 && f.abs() < 9.2e18 {
                n.is_int = true;
                n.int = f as i64;
            }
            if !n.is_uint && f.fract() == 0.0 && (0.0..1.8e19).contains(&f) {
                n.is_uint = true;
                n.uint = f as u64;
            }
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {:?}", text));
    }
    n.float_syntax = !is_hex && text.contains(['.', 'e', 'E', 'p', 'P']);
    Ok(n)
}

// ---------------------------------------------------------------- parser

pub struct Parser<'a> {
    toks: Vec<Token<'a>>,
    i: usize,
    source: Rc<Source>,
    funcs: &'a dyn Fn(&str) -> Option<FuncId>,
    vars: Vec<Rc<str>>,
    defines: Vec<Rc<Tree>>,
    range_depth: usize,
    depth: usize,
    stack_base: usize,
}

/// Parses a source into its main tree and defines. `funcs` resolves function names.
pub fn parse(
    source: Rc<Source>,
    funcs: &dyn Fn(&str) -> Option<FuncId>,
) -> Result<Parsed, ParseError> {
    let text: &str = &source.text;
    let lx = Lexer {
        src: text,
        b: text.as_bytes(),
        pos: 0,
        toks: Vec::with_capacity(text.len() / 6 + 16),
        paren: 0,
    };
    let toks = lx.run()?;
    let mut p = Parser {
        toks,
        i: 0,
        source: source.clone(),
        funcs,
        vars: vec![Rc::from("$")],
        defines: Vec::new(),
        range_depth: 0,
        depth: 0,
        stack_base: stack_addr(),
    };
    let root = p.top()?;
    Ok(Parsed {
        main: Rc::new(Tree {
            name: source.name.clone(),
            source: source.clone(),
            root,
        }),
        defines: p.defines,
    })
}

#[allow(clippy::enum_variant_names)]
enum End {
    End,
    Else(u32),
    Eof,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> Token<'a> {
        let t = self.toks[self.i.min(self.toks.len() - 1)];
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn next_non_space(&mut self) -> Token<'a> {
        loop {
            let t = self.next();
            if t.tok != Tok::Space {
                return t;
            }
        }
    }
    fn peek_non_space(&mut self) -> Token<'a> {
        while self.peek().tok == Tok::Space {
            self.i += 1;
        }
        *self.peek()
    }
    fn err(&self, pos: u32, msg: impl Into<String>) -> ParseError {
        ParseError {
            pos,
            msg: msg.into(),
            limit: false,
        }
    }
    fn tok_desc(t: &Token<'_>) -> String {
        match &t.tok {
            Tok::Eof => "EOF".into(),
            Tok::Right => "\"}}\"".into(),
            Tok::Left => "\"{{\"".into(),
            Tok::Text { .. } => "text".into(),
            Tok::Ident(s)
            | Tok::Field(s)
            | Tok::Var(s)
            | Tok::Str(s)
            | Tok::Raw(s)
            | Tok::Number(s)
            | Tok::Char(s) => {
                format!("{:?}", s)
            }
            Tok::Keyword(k) => format!("<{}>", k),
            Tok::Bool(b) => format!("{:?}", b.to_string()),
            Tok::Nil => "\"nil\"".into(),
            Tok::Dot => "<.>".into(),
            Tok::Pipe => "\"|\"".into(),
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
            Tok::Assign => "\"=\"".into(),
            Tok::Declare => "\":=\"".into(),
            Tok::Comma => "\",\"".into(),
            Tok::Punct(c) => format!("{:?}", c.to_string()),
            Tok::Space => "space".into(),
        }
    }
    fn unexpected(&self, t: &Token<'_>, ctx: &str) -> ParseError {
        if t.tok == Tok::Eof {
            return self.err(t.pos, "unexpected EOF");
        }
        self.err(
            t.pos,
            format!("unexpected {} in {}", Self::tok_desc(t), ctx),
        )
    }
    fn enter(&mut self, pos: u32) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH || self.stack_base.abs_diff(stack_addr()) > MAX_PARSE_STACK
        {
            return Err(ParseError {
                pos,
                msg: format!("nesting deeper than {} levels", MAX_PARSE_DEPTH),
                limit: true,
            });
        }
        Ok(())
    }

    fn top(&mut self) -> Result<Vec<Node>, ParseError> {
        let mut list = Vec::new();
        loop {
            let t = *self.peek();
            match t.tok {
                Tok::Eof => return Ok(list),
                Tok::Left => {
                    // define?
                    let save = self.i;
                    self.i += 1;
                    let k = self.peek_non_space();
                    if k.tok == Tok::Keyword("define") {
                        self.i += 1;
                        self.parse_define(t.pos)?;
                        continue;
                    }
                    self.i = save;
                    match self.text_or_action()? {
                        Ok(n) => list.push(n),
                        Err((end, pos)) => {
                            return Err(match end {
                                End::End => self.err(pos, "unexpected {{end}}"),
                                End::Else(_) => self.err(pos, "unexpected {{else}}"),
                                End::Eof => self.err(pos, "unexpected EOF"),
                            });
                        }
                    }
                }
                _ => match self.text_or_action()? {
                    Ok(n) => list.push(n),
                    Err(_) => return Ok(list),
                },
            }
        }
    }

    fn parse_define(&mut self, pos: u32) -> Result<(), ParseError> {
        let t = self.next_non_space();
        let name = match &t.tok {
            Tok::Str(q) => {
                unquote_go(q).ok_or_else(|| self.err(t.pos, format!("invalid syntax: {}", q)))?
            }
            Tok::Raw(r) => r[1..r.len() - 1].to_string(),
            _ => return Err(self.unexpected(&t, "define clause")),
        };
        let r = self.next_non_space();
        if r.tok != Tok::Right {
            return Err(self.unexpected(&r, "define clause"));
        }
        let saved_vars = std::mem::replace(&mut self.vars, vec![Rc::from("$")]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        match end {
            End::End => {}
            End::Else(p) => return Err(self.err(p, "unexpected {{else}}")),
            End::Eof => return Err(self.err(pos, "unexpected EOF")),
        }
        self.defines.push(Rc::new(Tree {
            name,
            source: self.source.clone(),
            root: list,
        }));
        Ok(())
    }

    /// Items until {{end}} / {{else}} / EOF.
    fn item_list(&mut self) -> Result<(Vec<Node>, End), ParseError> {
        let mut list = Vec::new();
        loop {
            match self.text_or_action()? {
                Ok(n) => list.push(n),
                Err((e, _)) => return Ok((list, e)),
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn text_or_action(&mut self) -> Result<Result<Node, (End, u32)>, ParseError> {
        let t = self.next();
        match t.tok {
            Tok::Text { start, end } => Ok(Ok(Node::Text { start, end })),
            Tok::Left => self.action(t.pos),
            Tok::Eof => {
                self.i -= 1;
                Ok(Err((End::Eof, t.pos)))
            }
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    #[allow(clippy::type_complexity)]
    fn action(&mut self, lpos: u32) -> Result<Result<Node, (End, u32)>, ParseError> {
        let t = self.peek_non_space();
        if let Tok::Keyword(k) = t.tok {
            self.i += 1;
            return match k {
                "end" => {
                    self.expect_right("end")?;
                    Ok(Err((End::End, t.pos)))
                }
                "else" => {
                    // else if / else with: leave the keyword for the caller
                    let nt = self.peek_non_space();
                    if nt.tok == Tok::Keyword("if") || nt.tok == Tok::Keyword("with") {
                        return Ok(Err((End::Else(t.pos), t.pos)));
                    }
                    self.expect_right("else")?;
                    Ok(Err((End::Else(t.pos), t.pos)))
                }
                "if" | "with" | "range" => self.control(k, t.pos).map(Ok),
                "template" => self.template(t.pos).map(Ok),
                "block" => self.block(t.pos).map(Ok),
                "break" | "continue" => {
                    if self.range_depth == 0 {
                        return Err(self.err(t.pos, format!("{{{{{}}}}} outside {{{{range}}}}", k)));
                    }
                    self.expect_right(k)?;
                    Ok(Ok(if k == "break" {
                        Node::Break { pos: t.pos }
                    } else {
                        Node::Continue { pos: t.pos }
                    }))
                }
                "define" => Err(self.err(t.pos, "unexpected <define> in command")),
                _ => Err(self.unexpected(&t, "command")),
            };
        }
        let pipe = self.pipeline("command", false)?;
        let end = self.toks[self.i.saturating_sub(1)].pos + 2;
        let _ = lpos;
        Ok(Ok(Node::Action {
            pos: pipe.pos,
            end,
            pipe,
        }))
    }

    fn expect_right(&mut self, ctx: &str) -> Result<(), ParseError> {
        let t = self.next_non_space();
        if t.tok != Tok::Right {
            return Err(self.unexpected(&t, ctx));
        }
        Ok(())
    }

    fn control(&mut self, kw: &'static str, pos: u32) -> Result<Node, ParseError> {
        self.enter(pos)?;
        let nvars = self.vars.len();
        let pipe = self.pipeline(kw, kw == "range")?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list()?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            End::End => None,
            End::Eof => return Err(self.err(pos, "unexpected EOF")),
            End::Else(epos) => {
                let nt = self.peek_non_space();
                if (nt.tok == Tok::Keyword("if") && kw == "if")
                    || (nt.tok == Tok::Keyword("with") && kw == "with")
                {
                    // else if / else with: a nested control that also consumes our {{end}}
                    self.i += 1;
                    let inner = self.control(kw, nt.pos)?;
                    Some(vec![inner])
                } else if nt.tok == Tok::Keyword("if") || nt.tok == Tok::Keyword("with") {
                    return Err(self.unexpected(&nt, "input"));
                } else {
                    let (l2, e2) = self.item_list()?;
                    match e2 {
                        End::End => {}
                        End::Else(p2) => return Err(self.err(p2, "expected end; found {{else}}")),
                        End::Eof => return Err(self.err(epos, "unexpected EOF")),
                    }
                    Some(l2)
                }
            }
        };
        self.vars.truncate(nvars);
        self.depth -= 1;
        Ok(match kw {
            "if" => Node::If {
                pos,
                pipe,
                list,
                else_list,
            },
            "with" => Node::With {
                pos,
                pipe,
                list,
                else_list,
            },
            _ => Node::Range {
                pos,
                pipe,
                list,
                else_list,
            },
        })
    }

    fn template(&mut self, _kw_pos: u32) -> Result<Node, ParseError> {
        let t = self.next_non_space();
        let pos = t.pos;
        let name = match &t.tok {
            Tok::Str(q) => {
                unquote_go(q).ok_or_else(|| self.err(t.pos, format!("invalid syntax: {}", q)))?
            }
            Tok::Raw(r) => r[1..r.len() - 1].to_string(),
            _ => return Err(self.unexpected(&t, "template clause")),
        };
        let nt = self.peek_non_space();
        let pipe = if nt.tok == Tok::Right {
            self.i += 1;
            None
        } else {
            Some(self.pipeline("template clause", false)?)
        };
        let end = self.toks[self.i.saturating_sub(1)].pos + 2;
        Ok(Node::Template {
            pos,
            end,
            name,
            pipe,
        })
    }

    fn block(&mut self, pos: u32) -> Result<Node, ParseError> {
        let t = self.next_non_space();
        let name = match &t.tok {
            Tok::Str(q) => {
                unquote_go(q).ok_or_else(|| self.err(t.pos, format!("invalid syntax: {}", q)))?
            }
            Tok::Raw(r) => r[1..r.len() - 1].to_string(),
            _ => return Err(self.unexpected(&t, "block clause")),
        };
        let pipe = self.pipeline("block clause", false)?;
        let end = self.toks[self.i.saturating_sub(1)].pos + 2;
        let saved_vars = std::mem::replace(&mut self.vars, vec![Rc::from("$")]);
        let (list, e) = self.item_list()?;
        self.vars = saved_vars;
        match e {
            End::End => {}
            End::Else(p) => return Err(self.err(p, "unexpected {{else}}")),
            End::Eof => return Err(self.err(pos, "unexpected EOF")),
        }
        self.defines.push(Rc::new(Tree {
            name: name.clone(),
            source: self.source.clone(),
            root: list,
        }));
        Ok(Node::Template {
            pos,
            end,
            name,
            pipe: Some(pipe),
        })
    }

    /// Parses a pipeline up to and including the closing `}}` (or `)` for parenthesized ones,
    /// which the caller handles via `paren`).
    fn pipeline(&mut self, ctx: &str, allow_two: bool) -> Result<Pipe, ParseError> {
        self.pipeline_inner(ctx, allow_two, false)
    }

    fn pipeline_inner(
        &mut self,
        ctx: &str,
        allow_two: bool,
        paren: bool,
    ) -> Result<Pipe, ParseError> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // declarations
        if let Tok::Var(v) = &start.tok {
            let save = self.i;
            self.i += 1;
            let nt = self.peek_non_space();
            match nt.tok {
                Tok::Declare | Tok::Assign => {
                    self.i += 1;
                    pipe.is_assign = nt.tok == Tok::Assign;
                    if pipe.is_assign && !self.vars.iter().any(|x| **x == **v) {
                        return Err(self.err(start.pos, format!("undefined variable {:?}", v)));
                    }
                    pipe.decl.push((start.pos, Rc::from(*v)));
                }
                Tok::Comma if allow_two => {
                    self.i += 1;
                    let v2 = self.next_non_space();
                    let Tok::Var(v2s) = &v2.tok else {
                        return Err(self.err(v2.pos, format!("missing variable in {}", ctx)));
                    };
                    let d = self.next_non_space();
                    if d.tok != Tok::Declare && d.tok != Tok::Assign {
                        return Err(self.err(d.pos, format!("too many declarations in {}", ctx)));
                    }
                    pipe.is_assign = d.tok == Tok::Assign;
                    pipe.decl.push((start.pos, Rc::from(*v)));
                    pipe.decl.push((v2.pos, Rc::from(*v2s)));
                }
                Tok::Comma => {
                    return Err(self.err(nt.pos, format!("too many declarations in {}", ctx)));
                }
                _ => {
                    self.i = save;
                }
            }
            if !pipe.decl.is_empty() && !pipe.is_assign {
                for (_, v) in &pipe.decl {
                    self.vars.push(v.clone());
                }
            }
        }
        loop {
            let t = self.peek_non_space();
            match t.tok {
                Tok::Right if !paren => {
                    self.i += 1;
                    if pipe.cmds.is_empty() {
                        return Err(self.err(t.pos, format!("missing value for {}", ctx)));
                    }
                    return Ok(pipe);
                }
                Tok::RParen if paren => {
                    self.i += 1;
                    if pipe.cmds.is_empty() {
                        return Err(self.err(t.pos, format!("missing value for {}", ctx)));
                    }
                    return Ok(pipe);
                }
                Tok::Eof => return Err(self.err(t.pos, "unexpected EOF")),
                Tok::Bool(_)
                | Tok::Char(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Raw(_)
                | Tok::Str(_)
                | Tok::Var(_)
                | Tok::LParen => {
                    let cmd = self.command(paren)?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&t, ctx)),
            }
        }
    }

    fn command(&mut self, paren: bool) -> Result<Cmd, ParseError> {
        let start = self.peek_non_space();
        let mut cmd = Cmd {
            pos: start.pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            let op = self.operand()?;
            if let Some(a) = op {
                cmd.args.push(a)
            }
            let t = *self.peek();
            match t.tok {
                Tok::Space => {
                    self.i += 1;
                    continue;
                }
                Tok::Right | Tok::RParen => {}
                Tok::Pipe => {
                    self.i += 1;
                }
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.err(start.pos, "empty command"));
        }
        let _ = paren;
        Ok(cmd)
    }

    fn operand(&mut self) -> Result<Option<Arg>, ParseError> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if let Tok::Field(_) = self.peek().tok {
            let pos = self.peek().pos;
            let mut fields = Vec::new();
            while let Tok::Field(f) = &self.peek().tok {
                fields.push(Rc::from(&f[1..]));
                self.i += 1;
            }
            return Ok(Some(match node {
                Arg::Field { mut idents, .. } => {
                    idents.extend(fields);
                    Arg::Field { pos, idents }
                }
                Arg::Var {
                    name,
                    fields: mut f0,
                    ..
                } => {
                    f0.extend(fields);
                    Arg::Var {
                        pos,
                        name,
                        fields: f0,
                    }
                }
                Arg::Bool { pos, .. }
                | Arg::Str { pos, .. }
                | Arg::Number { pos, .. }
                | Arg::Nil { pos }
                | Arg::Dot { pos } => {
                    let _ = pos;
                    return Err(self.err(
                        pos,
                        format!("unexpected . after term {:?}", {
                            let mut s = String::new();
                            arg_string(&node, &mut s);
                            s
                        }),
                    ));
                }
                other => Arg::Chain {
                    pos,
                    node: Box::new(other),
                    fields,
                },
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> Result<Option<Arg>, ParseError> {
        let t = self.next_non_space();
        let pos = t.pos;
        let src_id = self.source.id;
        let lit_mark = |len: usize| Mark::Template {
            template: src_id,
            span: pos..pos + len as u32,
        };
        Ok(Some(match t.tok {
            Tok::Ident(name) => {
                let Some(f) = (self.funcs)(name) else {
                    return Err(self.err(pos, format!("function {:?} not defined", name)));
                };
                Arg::Ident {
                    pos,
                    name: Rc::from(name),
                    func: f,
                }
            }
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Var(v) => {
                if !self.vars.iter().any(|x| **x == *v) {
                    return Err(self.err(pos, format!("undefined variable {:?}", v)));
                }
                Arg::Var {
                    pos,
                    name: Rc::from(v),
                    fields: Vec::new(),
                }
            }
            Tok::Field(f) => Arg::Field {
                pos,
                idents: vec![Rc::from(&f[1..])],
            },
            Tok::Bool(b) => Arg::Bool {
                pos,
                val: Value::Bool(b, Some(lit_mark(if b { 4 } else { 5 }))),
            },
            Tok::Char(text) | Tok::Number(text) => {
                let num = parse_number(text).map_err(|m| self.err(pos, m))?;
                let m = Some(lit_mark(text.len()));
                let val = if num.float_syntax && !text.starts_with('\'') {
                    Value::Float(num.float, m)
                } else if num.is_int {
                    Value::Int(num.int, m)
                } else if num.is_float && !num.is_uint {
                    Value::Float(num.float, m)
                } else {
                    Value::Nil
                };
                Arg::Number {
                    pos,
                    text: text.to_string(),
                    num: Box::new(num),
                    val,
                }
            }
            Tok::Str(q) => {
                let s =
                    unquote_go(q).ok_or_else(|| self.err(pos, format!("invalid syntax: {}", q)))?;
                let val = string_literal_value(q, s, src_id, pos);
                Arg::Str {
                    pos,
                    quoted: q.to_string(),
                    val,
                }
            }
            Tok::Raw(r) => {
                let s = r[1..r.len() - 1].replace('\r', "");
                let val = string_literal_value(r, s, src_id, pos);
                Arg::Str {
                    pos,
                    quoted: r.to_string(),
                    val,
                }
            }
            Tok::LParen => {
                self.enter(pos)?;
                let p = self.pipeline_inner("parenthesized pipeline", false, true)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(p))
            }
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        }))
    }
}

/// A string literal's value: when the literal has no escapes, each byte maps to the source;
/// otherwise the whole value is marked with the literal's span.
fn string_literal_value(quoted: &str, s: String, template: u32, pos: u32) -> Value {
    let mut t = Text::plain(s);
    if !t.s.is_empty() {
        if quoted.len() == t.s.len() + 2 {
            t.marks.push((
                0..t.s.len() as u32,
                Mark::Template {
                    template,
                    span: pos + 1..pos + 1 + t.s.len() as u32,
                },
            ));
        } else {
            t.marks.push((
                0..t.s.len() as u32,
                Mark::Template {
                    template,
                    span: pos..pos + quoted.len() as u32,
                },
            ));
        }
    }
    Value::Str(Rc::new(t))
}

pub fn arg_pos(a: &Arg) -> u32 {
    match a {
        Arg::Field { pos, .. }
        | Arg::Chain { pos, .. }
        | Arg::Var { pos, .. }
        | Arg::Dot { pos }
        | Arg::Nil { pos }
        | Arg::Bool { pos, .. }
        | Arg::Number { pos, .. }
        | Arg::Str { pos, .. }
        | Arg::Ident { pos, .. } => *pos,
        Arg::Pipe(p) => p.pos,
    }
}
