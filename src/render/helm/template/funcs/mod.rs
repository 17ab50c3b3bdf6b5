//! The function table: Go's builtins, Sprig v3 as Helm registers it, and Helm's own functions.
//!
//! Each entry declares Go's parameter types (for Go's argument errors) and how it treats
//! [`Value::Unknown`] arguments ([`U`]).

mod coll;
mod encoding;
mod math;
mod misc;
mod strings;

use std::collections::HashMap;
use std::sync::OnceLock;

use super::error::{Error, Limits};
use super::gofmt;
use super::value::{Map, Text, Value};

pub(crate) use encoding::to_yaml_text;

/// Go parameter types that matter for argument checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P {
    Any,
    Str,
    Int,
    F64,
    Bool,
    Map,
    List,
}

impl P {
    pub fn go_type(self) -> &'static str {
        match self {
            P::Any => "interface {}",
            P::Str => "string",
            P::Int => "int",
            P::F64 => "float64",
            P::Bool => "bool",
            P::Map => "map[string]interface {}",
            P::List => "[]interface {}",
        }
    }
}

/// How a function treats Unknown arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum U {
    /// Any Unknown argument (or string holding an unknown part) makes the result Unknown.
    Prop,
    /// String-building: Unknown string arguments become [`super::UNKNOWN_TEXT`] in the output
    /// (recorded as unknown ranges); Unknown non-string arguments make the result Unknown.
    Text,
    /// The function decides (e.g. `default`, `coalesce`, `dict`, `set`, `toYaml`).
    Own,
}

/// An error from a function body.
#[derive(Debug)]
pub enum FnErr {
    /// Go error text (`error calling NAME: TEXT`).
    Msg(String),
    /// As `Msg`, for a template name nothing defines ([`super::ErrorKind::Undefined`]).
    Undefined(String),
    /// `fail` / `required`: the user's message.
    Fail(String),
    /// A resource bound.
    Limit(String),
    /// An error of a nested execution (include, tpl).
    Err(Box<Error>),
}

pub type FR = Result<Value, FnErr>;

pub struct Call {
    pub args: Vec<Value>,
}

impl Call {
    pub fn v(&self, i: usize) -> &Value {
        self.args.get(i).unwrap_or(&Value::Nil)
    }
    /// A string argument as text (Unknown becomes the marker).
    pub fn s(&self, i: usize) -> Text {
        text_of(self.v(i))
    }
    pub fn st(&self, i: usize) -> String {
        match self.v(i) {
            Value::Str(t) => t.s.clone(),
            v => gofmt::strval(v).s,
        }
    }
    pub fn i(&self, i: usize) -> i64 {
        match self.v(i) {
            Value::Int(n, _) | Value::Int64(n, _) => *n,
            Value::Float(f, _) => *f as i64,
            _ => 0,
        }
    }
    pub fn f(&self, i: usize) -> f64 {
        match self.v(i) {
            Value::Float(f, _) => *f,
            Value::Int(n, _) | Value::Int64(n, _) => *n as f64,
            _ => 0.0,
        }
    }
    pub fn map(&self, i: usize) -> Map {
        match self.v(i) {
            Value::Map(m) => m.clone(),
            _ => Map::nil_map(),
        }
    }
    pub fn rest(&self, from: usize) -> &[Value] {
        self.args.get(from..).unwrap_or(&[])
    }
}

/// The text of a string value (Unknown → marker text).
pub fn text_of(v: &Value) -> Text {
    match v {
        Value::Str(t) => (**t).clone(),
        Value::Unknown(w) => Text::unknown_marker(w),
        v => gofmt::strval(v),
    }
}

/// What a function body may ask of the executor running it: its bounds, and nested
/// executions (`include`, `tpl`). A trait, so that the function table does not depend on the
/// executor that calls into it.
pub trait Host {
    fn limits(&self) -> &Limits;
    fn include(&mut self, name: &str, dot: Value) -> FR;
    fn tpl(&mut self, text: &Text, dot: Value) -> FR;
    /// `required` found no value: the Unknown to return instead of failing, when the
    /// executor is asked to go on (see `Exec::required_unknown`).
    fn required_missing(&mut self, message: &str) -> Option<Value>;
}

pub type FnImpl = fn(&mut dyn Host, &mut Call) -> FR;

pub struct FuncDef {
    pub name: &'static str,
    pub params: &'static [P],
    pub variadic: Option<P>,
    pub unknown: U,
    pub imp: FnImpl,
}

macro_rules! f {
    ($name:expr, [$($p:ident),*], $var:expr, $u:ident, $imp:expr) => {
        FuncDef { name: $name, params: &[$(P::$p),*], variadic: $var, unknown: U::$u, imp: $imp }
    };
}
pub(crate) use f;

fn all_defs() -> Vec<FuncDef> {
    let mut v = Vec::new();
    v.extend(builtin_defs());
    v.extend(strings::defs());
    v.extend(coll::defs());
    v.extend(math::defs());
    v.extend(encoding::defs());
    v.extend(misc::defs());
    v
}

struct Table {
    defs: Vec<FuncDef>,
    by_name: HashMap<&'static str, u16>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let defs = all_defs();
        let mut by_name = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            // later definitions (sprig over builtins, helm over sprig) win
            by_name.insert(d.name, i as u16);
        }
        Table { defs, by_name }
    })
}

/// Resolves a function name (parse time).
pub fn lookup(name: &str) -> Option<u16> {
    table().by_name.get(name).copied()
}

pub fn get(id: u16) -> &'static FuncDef {
    &table().defs[id as usize]
}

/// Names of every defined function.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table().by_name.keys().copied().collect();
    v.sort();
    v
}

// ---------------------------------------------------------------- Go builtins

fn builtin_defs() -> Vec<FuncDef> {
    vec![
        f!("and", [Any], Some(P::Any), Own, |_, _| Ok(Value::Nil)),
        f!("or", [Any], Some(P::Any), Own, |_, _| Ok(Value::Nil)),
        f!("not", [Any], None, Own, |_, c| Ok(match c.v(0) {
            Value::Unknown(w) => Value::Unknown(w.clone()),
            v => Value::Bool(!v.truthy(), None),
        })),
        f!("len", [Any], None, Prop, b_len),
        f!("index", [Any], Some(P::Any), Prop, b_index),
        f!("print", [], Some(P::Any), Text, |_, c| Ok(Value::text(
            gofmt::sprint(&c.args)
        ))),
        f!("println", [], Some(P::Any), Text, |_, c| Ok(Value::text(
            gofmt::sprintln(&c.args)
        ))),
        f!("printf", [Str], Some(P::Any), Text, |_, c| {
            let fmt = c.s(0);
            Ok(Value::text(gofmt::sprintf(&fmt, &c.args[1..])))
        }),
        f!("html", [], Some(P::Any), Prop, |_, c| Ok(Value::str(
            html_escape(&eval_args(&c.args))
        ))),
        f!("js", [], Some(P::Any), Prop, |_, c| Ok(Value::str(
            js_escape(&eval_args(&c.args))
        ))),
        f!("urlquery", [], Some(P::Any), Prop, |_, c| Ok(Value::str(
            query_escape(&eval_args(&c.args))
        ))),
        f!("eq", [Any], Some(P::Any), Prop, b_eq),
        f!("ne", [Any, Any], None, Prop, |_, c| {
            let r = go_eq(c.v(0), &c.args[1..])?;
            Ok(Value::Bool(!r, None))
        }),
        f!("lt", [Any, Any], None, Prop, |_, c| Ok(Value::Bool(
            go_lt(c.v(0), c.v(1))?,
            None
        ))),
        f!("le", [Any, Any], None, Prop, |_, c| {
            let lt = go_lt(c.v(0), c.v(1))?;
            Ok(Value::Bool(lt || go_eq(c.v(0), &c.args[1..2])?, None))
        }),
        f!("gt", [Any, Any], None, Prop, |_, c| {
            let lt = go_lt(c.v(0), c.v(1))?;
            let le = lt || go_eq(c.v(0), &c.args[1..2])?;
            Ok(Value::Bool(!le, None))
        }),
        f!("ge", [Any, Any], None, Prop, |_, c| Ok(Value::Bool(
            !go_lt(c.v(0), c.v(1))?,
            None
        ))),
        f!("call", [Any], Some(P::Any), Prop, |_, c| {
            Err(FnErr::Msg(match c.v(0) {
                Value::Nil => "call of nil".to_string(),
                v => format!("non-function of type {}", v.type_name()),
            }))
        }),
    ]
}

fn eval_args(args: &[Value]) -> String {
    if args.len() == 1
        && let Value::Str(t) = &args[0]
    {
        return t.s.clone();
    }
    gofmt::sprint(args).s
}

fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("&#34;"),
            '\'' => o.push_str("&#39;"),
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\0' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn js_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '<' => o.push_str("\\u003C"),
            '>' => o.push_str("\\u003E"),
            '&' => o.push_str("\\u0026"),
            '=' => o.push_str("\\u003D"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) >= 0x80 && !gofmt::is_print(c) => {
                o.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            b => o.push_str(&format!("%{:02X}", b)),
        }
    }
    o
}

fn b_len(_: &mut dyn Host, c: &mut Call) -> FR {
    let n = match c.v(0) {
        Value::Str(t) => t.s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Object(o) => match o.len() {
            Some(n) => n,
            None => return Err(FnErr::Msg(format!("len of type {}", o.type_name()))),
        },
        Value::Nil => return Err(FnErr::Msg("len of nil pointer".into())),
        v => return Err(FnErr::Msg(format!("len of type {}", v.type_name()))),
    };
    Ok(Value::Int(n as i64, None))
}

fn b_index(_: &mut dyn Host, c: &mut Call) -> FR {
    let mut v = c.v(0).clone();
    for idx in c.rest(1) {
        v = match &v {
            Value::List(_) | Value::Str(_) => {
                let x = match idx {
                    Value::Int(n, _) | Value::Int64(n, _) => *n,
                    Value::Nil => {
                        return Err(FnErr::Msg("cannot index slice/array with nil".into()));
                    }
                    o => {
                        return Err(FnErr::Msg(format!(
                            "cannot index slice/array with type {}",
                            o.type_name()
                        )));
                    }
                };
                match &v {
                    Value::List(l) => {
                        // Go checks against the capacity (= length for every slice a template
                        // sees), then reflect panics at the length itself
                        if x < 0 || x as usize > l.len() {
                            return Err(FnErr::Msg(format!("index out of range: {}", x)));
                        }
                        if x as usize >= l.len() {
                            return Err(FnErr::Msg("reflect: slice index out of range".into()));
                        }
                        l.items()[x as usize].clone()
                    }
                    Value::Str(t) => {
                        if x < 0 || x as usize > t.s.len() {
                            return Err(FnErr::Msg(format!("index out of range: {}", x)));
                        }
                        if x as usize == t.s.len() {
                            return Err(FnErr::Msg("reflect: string index out of range".into()));
                        }
                        Value::Int(t.s.as_bytes()[x as usize] as i64, None)
                    }
                    _ => Value::Nil,
                }
            }
            Value::Map(m) => match idx {
                Value::Str(k) => m.get(&k.s).unwrap_or(Value::Nil),
                Value::Nil => m.get("").unwrap_or(Value::Nil),
                o => {
                    return Err(FnErr::Msg(format!(
                        "{} is not index type for {}",
                        o.type_name(),
                        v.type_name()
                    )));
                }
            },
            Value::Nil => return Err(FnErr::Msg("index of untyped nil".into())),
            o => {
                return Err(FnErr::Msg(format!(
                    "can't index item of type {}",
                    o.type_name()
                )));
            }
        };
    }
    Ok(v)
}

#[derive(PartialEq, Clone, Copy)]
enum BK {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn basic_kind(v: &Value) -> BK {
    match v {
        Value::Nil => BK::Invalid,
        Value::Bool(..) => BK::Bool,
        Value::Int(..) | Value::Int64(..) => BK::Int,
        Value::Float(..) => BK::Float,
        Value::Str(_) => BK::Str,
        _ => BK::Other,
    }
}

fn b_eq(_: &mut dyn Host, c: &mut Call) -> FR {
    Ok(Value::Bool(go_eq(c.v(0), &c.args[1..])?, None))
}

/// Go's template `eq` (Go 1.23 semantics).
pub(crate) fn go_eq(a: &Value, rest: &[Value]) -> Result<bool, FnErr> {
    if rest.is_empty() {
        return Err(FnErr::Msg("missing argument for comparison".into()));
    }
    let k1 = basic_kind(a);
    for b in rest {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if k1 != BK::Invalid && k2 != BK::Invalid {
                return Err(FnErr::Msg("incompatible types for comparison".into()));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x, _), Value::Bool(y, _)) => x == y,
                (Value::Int(x, _) | Value::Int64(x, _), Value::Int(y, _) | Value::Int64(y, _)) => {
                    x == y
                }
                (Value::Float(x, _), Value::Float(y, _)) => x == y,
                (Value::Str(x), Value::Str(y)) => x.s == y.s,
                (Value::Nil, Value::Nil) => true,
                _ => {
                    // non-basic kinds: maps/slices are not comparable
                    if a.type_name() != b.type_name() {
                        return Err(FnErr::Msg(format!(
                            "non-comparable types {}: {}, {}: {}",
                            gofmt::sprint_v(a),
                            a.type_name(),
                            b.type_name(),
                            gofmt::sprint_v(b)
                        )));
                    }
                    match (a, b) {
                        (Value::Map(_), _) | (Value::List(_), _) => {
                            return Err(FnErr::Msg(format!(
                                "non-comparable type {}: {}",
                                gofmt::sprint_v(b),
                                b.type_name()
                            )));
                        }
                        _ => super::value::deep_equal(a, b),
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(crate) fn go_lt(a: &Value, b: &Value) -> Result<bool, FnErr> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == BK::Invalid || k1 == BK::Other || k2 == BK::Invalid || k2 == BK::Other {
        return Err(FnErr::Msg("invalid type for comparison".into()));
    }
    if k1 != k2 {
        return Err(FnErr::Msg("incompatible types for comparison".into()));
    }
    Ok(match (a, b) {
        (Value::Int(x, _) | Value::Int64(x, _), Value::Int(y, _) | Value::Int64(y, _)) => x < y,
        (Value::Float(x, _), Value::Float(y, _)) => x < y,
        (Value::Str(x), Value::Str(y)) => x.s < y.s,
        _ => return Err(FnErr::Msg("invalid type for comparison".into())),
    })
}

pub(crate) fn parse_float(s: &str) -> Option<f64> {
    math::parse_go_float(s)
}

pub(crate) fn split_text(t: &Text, sep: &str) -> Vec<Text> {
    strings::go_split(t, sep, -1)
}

pub(crate) fn whole_text(t: &Text, out: String) -> Text {
    strings::whole(t, out)
}
