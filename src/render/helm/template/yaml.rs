//! YAML as Helm sees it: the go-yaml v2 emitter behind `toYaml` (after sigs.k8s.io/yaml's JSON
//! round trip) and a YAML 1.1 loader (values files, `fromYaml`) producing Go's types
//! (every number a float64, keys strings).

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::gofmt::{format_g, sprint_v};
use super::value::{List, Map, Mark, Text, TextBuf, UNKNOWN_TEXT, Value};
use crate::parse::yaml::{join_flow_closer, quoted_end};

// ------------------------------------------------------------------ resolution (yaml.v2)

/// What a plain scalar resolves to under yaml.v2's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
    Merge,
    Timestamp,
}

fn is_yaml_style_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == st {
            return false;
        }
    } else {
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == st {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == st {
            return false;
        }
    }
    i == b.len()
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let st = i;
        if i < b.len()
            && (b'0'..=b'5').contains(&b[i])
            && i + 1 < b.len()
            && b[i + 1].is_ascii_digit()
        {
            i += 2;
        } else if i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == st {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != 4 || i == b.len() || b[i] != b'-' {
        return false;
    }
    // YYYY-M-D with optional time part
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    if parts.len() != 2
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let (m, d): (u32, u32) = (parts[0].parse().unwrap_or(0), parts[1].parse().unwrap_or(0));
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            let t = t.trim_end_matches('Z');
            let hms: Vec<&str> = t.split(':').collect();
            hms.len() >= 3
                && hms[..2]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
        }
    }
}

/// yaml.v2 `resolve("", s)` for a plain scalar.
pub fn resolve(s: &str) -> Resolved {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    let c = s.as_bytes()[0];
    match c {
        b'.' => {
            if let Ok(f) = s.parse::<f64>()
                && is_yaml_style_float(s)
            {
                return Resolved::Float(f);
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain = s.replace('_', "");
            if let Some((neg, u)) = super::parse::parse_go_int(&plain) {
                if neg {
                    if u <= i64::MAX as u64 + 1 {
                        return Resolved::Int((u as i128).wrapping_neg() as i64);
                    }
                } else if u <= i64::MAX as u64 {
                    return Resolved::Int(u as i64);
                } else {
                    return Resolved::Uint(u);
                }
            }
            if is_yaml_style_float(&plain)
                && let Ok(f) = plain.parse::<f64>()
            {
                return Resolved::Float(f);
            }
            if let Some(b) = plain.strip_prefix("0b") {
                if let Ok(i) = i64::from_str_radix(b, 2) {
                    return Resolved::Int(i);
                }
            } else if let Some(b) = plain.strip_prefix("-0b")
                && let Ok(i) = i64::from_str_radix(b, 2)
            {
                return Resolved::Int(-i);
            }
        }
        _ => {}
    }
    Resolved::Str
}

// ------------------------------------------------------------------ loader

/// Loads one YAML document as Helm does (sigs.k8s.io/yaml: YAML 1.1 scalars, then JSON types:
/// numbers float64, map keys strings). `mark` gives the provenance of a scalar from its span
/// (byte offsets). Returns `Nil` for an empty document.
pub fn load(
    text: &str,
    mark: &mut dyn FnMut(usize, usize) -> Option<Mark>,
) -> Result<Value, String> {
    // Go's YAML library accepts a flow collection's closer on its own line at the indentation
    // of the key that opened it; saphyr refuses it. As the manifest loader does
    // (`parse::yaml::join_flow_closer`), the line break before it becomes a space and the text
    // is read again; offsets are unchanged, so marks stay true. Each retry fixes one closer,
    // and the bound keeps a hostile file linear.
    let mut text = std::borrow::Cow::Borrowed(text);
    for _ in 0..64 {
        match load_once(&text, mark) {
            Err(Failure::Indentation(at, message)) => match join_flow_closer(&text, at) {
                Some(fixed) => text = std::borrow::Cow::Owned(fixed),
                None => return Err(message),
            },
            other => return other.map_err(Failure::message),
        }
    }
    load_once(&text, mark).map_err(Failure::message)
}

/// Why a load failed: an indentation error at a byte offset (which may be a flow closer Go
/// accepts), or any other error, as Helm words it.
enum Failure {
    Indentation(usize, String),
    Other(String),
}

impl Failure {
    fn message(self) -> String {
        match self {
            Failure::Indentation(_, m) | Failure::Other(m) => m,
        }
    }
}

fn load_once(
    text: &str,
    mark: &mut dyn FnMut(usize, usize) -> Option<Mark>,
) -> Result<Value, Failure> {
    let mut l = Loader {
        text,
        text_lines: text.lines().count().max(1),
        anchors: HashMap::new(),
        char_to_byte: CharIndex::new(text),
        depth: 0,
        indentation_at: None,
    };
    let mut p = Parser::new_from_str(text);
    let mut doc: Option<Value> = None;
    let mut seen_doc = false;
    while let Some(ev) = p.next_event() {
        let (ev, span) = match ev {
            Ok(ev) => ev,
            Err(e) => {
                let m = l.scan_err(&e);
                return Err(l.failure(m));
            }
        };
        match ev {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                if seen_doc {
                    // sigs.k8s.io/yaml reads only the first document
                    break;
                }
                seen_doc = true;
            }
            ev => doc = Some(l.node(ev, span, &mut p, mark).map_err(|m| l.failure(m))?),
        }
    }
    Ok(doc.unwrap_or(Value::Nil))
}

fn scan_err_line(e: &saphyr_parser::ScanError, lines: usize) -> String {
    let info = e.info();
    let problem = match info.rfind(", ") {
        Some(i) if info.starts_with("while ") => &info[i + 2..],
        _ => info,
    };
    format!("yaml: line {}: {}", e.marker().line().min(lines), problem)
}

fn scan_err(e: &saphyr_parser::ScanError, text: impl LinesCount) -> String {
    scan_err_line(e, text.lines_count())
}

trait LinesCount {
    fn lines_count(&self) -> usize;
}
impl LinesCount for &str {
    fn lines_count(&self) -> usize {
        self.lines().count().max(1)
    }
}
impl LinesCount for usize {
    fn lines_count(&self) -> usize {
        *self
    }
}

struct CharIndex {
    ascii: bool,
    offsets: Vec<usize>,
}

impl CharIndex {
    fn new(s: &str) -> CharIndex {
        if s.is_ascii() {
            CharIndex {
                ascii: true,
                offsets: Vec::new(),
            }
        } else {
            let mut o: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
            o.push(s.len());
            CharIndex {
                ascii: false,
                offsets: o,
            }
        }
    }
    fn byte(&self, ci: usize) -> usize {
        if self.ascii {
            ci
        } else {
            self.offsets
                .get(ci)
                .copied()
                .unwrap_or_else(|| self.offsets.last().copied().unwrap_or(0))
        }
    }
}

struct Loader<'t> {
    text: &'t str,
    text_lines: usize,
    anchors: HashMap<usize, Value>,
    char_to_byte: CharIndex,
    depth: usize,
    /// The byte offset of the scanner's "invalid indentation" error, once there is one.
    indentation_at: Option<usize>,
}

type MarkFn<'a> = &'a mut dyn FnMut(usize, usize) -> Option<Mark>;

impl Loader<'_> {
    /// Helm's words for a scanner error; an indentation error's offset is kept for
    /// [`load`]'s retry.
    fn scan_err(&mut self, e: &saphyr_parser::ScanError) -> String {
        if e.info().contains("invalid indentation") {
            self.indentation_at = Some(self.char_to_byte.byte(e.marker().index()));
        }
        scan_err(e, self.text_lines)
    }

    /// The failure for an error message: an indentation error when the scanner gave one.
    fn failure(&self, m: String) -> Failure {
        match self.indentation_at {
            Some(at) => Failure::Indentation(at, m),
            None => Failure::Other(m),
        }
    }

    fn node(
        &mut self,
        ev: Event<'_>,
        span: Span,
        p: &mut Parser<'_, saphyr_parser::StrInput<'_>>,
        mark: MarkFn,
    ) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > 200 {
            return Err("yaml: exceeded max depth of 200".into());
        }
        let r = self.node_inner(ev, span, p, mark);
        self.depth -= 1;
        r
    }

    fn scalar_value(
        &self,
        s: &str,
        style: ScalarStyle,
        tag: Option<&saphyr_parser::Tag>,
        m: Option<Mark>,
    ) -> Value {
        if let Some(t) = tag
            && (t.handle == "tag:yaml.org,2002:" || t.handle == "!!")
        {
            match t.suffix.as_str() {
                "str" => return Value::str_marked(s, m),
                "int" | "float" => {
                    if let Some(f) = super::funcs_parse_float(s) {
                        return Value::Float(f, m);
                    }
                }
                "bool" => {
                    if let Resolved::Bool(b) = resolve(s) {
                        return Value::Bool(b, m);
                    }
                }
                "null" => return Value::Nil,
                _ => {}
            }
        }
        if style != ScalarStyle::Plain {
            return Value::str_marked(s, m);
        }
        match resolve(s) {
            Resolved::Null => Value::Nil,
            Resolved::Bool(b) => Value::Bool(b, m),
            Resolved::Int(i) => Value::Float(i as f64, m),
            Resolved::Uint(u) => Value::Float(u as f64, m),
            Resolved::Float(f) => Value::Float(f, m),
            Resolved::Str | Resolved::Merge | Resolved::Timestamp => Value::str_marked(s, m),
        }
    }

    fn node_inner(
        &mut self,
        ev: Event<'_>,
        span: Span,
        p: &mut Parser<'_, saphyr_parser::StrInput<'_>>,
        mark: MarkFn,
    ) -> Result<Value, String> {
        let (sb, eb) = (
            self.char_to_byte.byte(span.start.index()),
            self.char_to_byte.byte(span.end.index()),
        );
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                // A scalar's span ends at its last character, as the manifest loader's spans
                // do: saphyr's runs on over blanks, and over a comment after a quoted one.
                let eb = match quoted_end(self.text, sb) {
                    Some(end) if end <= eb => end,
                    _ => {
                        let bytes = self.text.as_bytes();
                        let mut eb = eb.min(bytes.len());
                        while eb > sb && matches!(bytes[eb - 1], b' ' | b'\t' | b'\n' | b'\r') {
                            eb -= 1;
                        }
                        eb
                    }
                };
                let m = mark(sb, eb);
                let v = self.scalar_value(&s, style, tag.as_deref(), m);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::Alias(id) => Ok(self.anchors.get(&id).cloned().unwrap_or(Value::Nil)),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let Some(e) = p.next_event() else {
                        return Err("yaml: unexpected end of stream".into());
                    };
                    let (e, sp) = e.map_err(|e| self.scan_err(&e))?;
                    if matches!(e, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(e, sp, p, mark)?);
                }
                // Go's decoded slices here have capacity = length (checked against Helm)
                let v = Value::List(List::new(items));
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(anchor, _) => {
                let m = Map::new();
                let mut merges: Vec<Value> = Vec::new();
                loop {
                    let Some(e) = p.next_event() else {
                        return Err("yaml: unexpected end of stream".into());
                    };
                    let (e, sp) = e.map_err(|e| self.scan_err(&e))?;
                    if matches!(e, Event::MappingEnd) {
                        break;
                    }
                    let (ksb, keb) = (
                        self.char_to_byte.byte(sp.start.index()),
                        self.char_to_byte.byte(sp.end.index()),
                    );
                    let is_merge =
                        matches!(&e, Event::Scalar(s, ScalarStyle::Plain, _, None) if s == "<<");
                    let k = self.node(e, sp, p, mark)?;
                    let Some(ve) = p.next_event() else {
                        return Err("yaml: unexpected end of stream".into());
                    };
                    let (ve, vsp) = ve.map_err(|e| self.scan_err(&e))?;
                    let v = self.node(ve, vsp, p, mark)?;
                    if is_merge {
                        merges.push(v);
                        continue;
                    }
                    if matches!(k, Value::Nil) {
                        let vs = match &v {
                            Value::Str(t) => super::gofmt::quote(&t.s),
                            Value::Nil => "<nil>".to_string(),
                            other => sprint_v(other),
                        };
                        return Err(format!(
                            "unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                            vs
                        ));
                    }
                    let ks = key_string(&k);
                    let km = mark(ksb, keb);
                    m.insert_marked(ks, km, v);
                }
                // merge keys: existing keys win
                for mv in merges {
                    let srcs: Vec<Value> = match mv {
                        Value::List(l) => l.items().to_vec(),
                        v => vec![v],
                    };
                    for s in srcs {
                        if let Value::Map(sm) = s {
                            for (k, v) in sm.entries() {
                                if !m.contains(&k) {
                                    m.insert_marked(k.clone(), sm.key_mark(&k), v);
                                }
                            }
                        }
                    }
                }
                let v = Value::Map(m);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            _ => Ok(Value::Nil),
        }
    }
}

fn key_string(k: &Value) -> String {
    match k {
        Value::Str(t) => t.s.clone(),
        Value::Nil => "null".into(),
        Value::Float(f, _) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format_g(*f, None, false)
            }
        }
        v => sprint_v(v),
    }
}

// ------------------------------------------------------------------ emitter (go-yaml v2)

/// The Go `less` of yaml.v2's key sorter for string keys.
pub fn key_less(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a == b {
        return Ordering::Equal;
    }
    if yaml_key_less(a, b) {
        Ordering::Less
    } else if yaml_key_less(b, a) {
        Ordering::Greater
    } else {
        a.cmp(b)
    }
}

fn yaml_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i as isize - 1;
            while j >= 0 && ar[j as usize].is_ascii_digit() {
                if ar[j as usize] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// A node after sigs.k8s.io/yaml's JSON round trip.
enum Node<'a> {
    Null,
    Bool(bool, Option<Mark>),
    /// Number text as yaml.v2 prints it.
    Num(String, Option<Mark>),
    Str(Cow<'a, Text>),
    Unknown(Rc<str>),
    Map(Vec<(String, Option<Mark>, Value)>),
    Seq(Vec<Value>),
}

/// JSON number text of a float as Go's encoding/json writes it.
pub fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = super::gofmt::format_e(f, None, false);
        // clean up e-09 to e-9
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            return Some(format!("{}{}", &s[..n - 2], &s[n - 1..]));
        }
        return Some(s);
    }
    Some(super::gofmt::format_f(f, None))
}

fn yaml_number_from_json(js: &str) -> String {
    match resolve(js) {
        Resolved::Int(i) => i.to_string(),
        Resolved::Uint(u) => u.to_string(),
        Resolved::Float(f) => {
            let s = format_g(f, None, false);
            match s.as_str() {
                "+Inf" => ".inf".into(),
                "-Inf" => "-.inf".into(),
                "NaN" => ".nan".into(),
                _ => s,
            }
        }
        _ => js.to_string(),
    }
}

fn to_node_pretty(v: &Value) -> Node<'_> {
    match v {
        Value::Float(f, m) => {
            let s = format_g(*f, None, false);
            Node::Num(
                match s.as_str() {
                    "+Inf" => ".inf".into(),
                    "-Inf" => "-.inf".into(),
                    "NaN" => ".nan".into(),
                    _ => s,
                },
                m.clone(),
            )
        }
        v => to_node(v),
    }
}

fn to_node(v: &Value) -> Node<'_> {
    match v {
        Value::Nil => Node::Null,
        Value::Bool(b, m) => Node::Bool(*b, m.clone()),
        Value::Int(i, m) | Value::Int64(i, m) => Node::Num(i.to_string(), m.clone()),
        Value::Float(f, m) => match json_float(*f) {
            Some(js) => Node::Num(yaml_number_from_json(&js), m.clone()),
            None => Node::Null,
        },
        Value::Str(t) => Node::Str(Cow::Borrowed(&**t)),
        Value::Unknown(w) => Node::Unknown(w.clone()),
        Value::List(l) => {
            if l.0.nil {
                Node::Null
            } else {
                Node::Seq(l.items().to_vec())
            }
        }
        Value::Map(m) => {
            if m.is_nil() {
                return Node::Null;
            }
            let d = m.data.borrow();
            let mut e: Vec<(String, Option<Mark>, Value)> = d
                .entries
                .iter()
                .map(|(k, v)| (k.clone(), d.key_marks.get(k).cloned(), v.clone()))
                .collect();
            e.sort_by(|a, b| key_less(&a.0, &b.0));
            Node::Map(e)
        }
        Value::Object(o) => match o.to_data() {
            Some(d) => match to_node(&d) {
                Node::Str(t) => Node::Str(Cow::Owned(t.into_owned())),
                Node::Bool(b, m) => Node::Bool(b, m),
                Node::Num(s, m) => Node::Num(s, m),
                Node::Null => Node::Null,
                Node::Unknown(w) => Node::Unknown(w),
                Node::Map(e) => Node::Map(e),
                Node::Seq(s) => Node::Seq(s),
            },
            None => Node::Str(Cow::Owned(Text::plain(o.format()))),
        },
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable_char(c: char) -> bool {
    let u = c as u32;
    // go-yaml's is_printable works on UTF-8 lead bytes: 4-byte sequences (U+10000 and up) and
    // NEL are not printable there
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn is_break_char(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let (mut block_ind, mut flow_ind, mut line_breaks, mut special) = (false, false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    if value.starts_with("---") || value.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_by_ws =
            i + 1 >= n || matches!(chars[i + 1], ' ' | '\t') || is_break_char(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if !is_printable_char(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break_char(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t' | '\0') || is_break_char(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    let _ = flow_ind;
    if block_ind {
        a.block_plain_allowed = false;
    }
    a
}

/// Style yaml.v2 chooses for a string (stringv + select_scalar_style).
fn string_style(s: &str, simple_key: bool) -> Style {
    let can_plain = matches!(resolve_for_emit(s), Resolved::Str) && !is_base60_float(s);
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if can_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let a = analyze(s);
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

fn resolve_for_emit(s: &str) -> Resolved {
    // "<<" resolves to the merge tag but sigs.k8s.io/yaml's fork prints it plain.
    match resolve(s) {
        Resolved::Merge => Resolved::Str,
        r => r,
    }
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

struct Emitter {
    /// yaml.v3 encoder (toYamlPretty): indented sequences, no JSON round trip.
    pretty: bool,
    b: TextBuf,
    column: usize,
    whitespace: bool,
    indention: bool,
    depth: usize,
}

impl Emitter {
    /// Line width: yaml.v2 folds at 80 columns; yaml.v3 (toYamlPretty) does not fold.
    fn width(&self) -> usize {
        if self.pretty { usize::MAX } else { BEST_WIDTH }
    }
    fn put(&mut self, c: char) {
        self.b.push_char(c);
        self.column += 1;
    }
    fn put_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }
    fn put_break(&mut self) {
        self.b.push_char('\n');
        self.column = 0;
    }
    fn write_indent(&mut self, indent: i64) {
        let indent = indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }
    fn write_indicator(&mut self, s: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.put_str(s);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn scalar_text(&mut self, t: &Text, indent: i64, simple_key: bool) {
        let style = string_style(&t.s, simple_key);
        let start = self.b.len();
        let exact = self.write_scalar(&t.s, style, indent, !simple_key);
        let end = self.b.len();
        if exact {
            // plain, unwrapped: byte-exact positions
            let off = end - t.s.len();
            for (r, m) in &t.marks {
                self.b
                    .add_mark(off + r.start as usize..off + r.end as usize, m.clone());
            }
            for (r, w) in &t.unknown {
                self.b
                    .add_unknown(off + r.start as usize..off + r.end as usize, w.clone());
            }
        } else {
            let s2 = if self.b.t.s[start..].starts_with(' ') {
                start + 1
            } else {
                start
            };
            self.b.mark_whole_from(s2..end, t);
            for (_, w) in &t.unknown {
                self.b.add_unknown(s2..end, w.clone());
            }
        }
    }

    /// Writes a scalar; returns whether the text was written verbatim (plain, no wrapping).
    fn write_scalar(&mut self, v: &str, style: Style, indent: i64, allow_breaks: bool) -> bool {
        let chars: Vec<char> = v.chars().collect();
        match style {
            Style::Plain => {
                if !self.whitespace {
                    self.put(' ');
                }
                let mut spaces = false;
                let mut exact = true;
                let mut i = 0;
                while i < chars.len() {
                    let c = chars[i];
                    if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.column > self.width()
                            && chars.get(i + 1) != Some(&' ')
                        {
                            self.write_indent(indent);
                            exact = false;
                        } else {
                            self.put(c);
                        }
                        spaces = true;
                    } else {
                        self.put(c);
                        self.indention = false;
                        spaces = false;
                    }
                    i += 1;
                }
                self.whitespace = false;
                self.indention = false;
                exact
            }
            Style::Single => {
                self.write_indicator("'", true, false, false);
                let mut spaces = false;
                let n = chars.len();
                for i in 0..n {
                    let c = chars[i];
                    if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.column > self.width()
                            && i > 0
                            && i < n - 1
                            && chars[i + 1] != ' '
                        {
                            self.write_indent(indent);
                        } else {
                            self.put(c);
                        }
                        spaces = true;
                    } else {
                        if c == '\'' {
                            self.put('\'');
                        }
                        self.put(c);
                        self.indention = false;
                        spaces = false;
                    }
                }
                self.write_indicator("'", false, false, false);
                self.whitespace = false;
                self.indention = false;
                false
            }
            Style::Double => {
                self.write_indicator("\"", true, false, false);
                let mut spaces = false;
                let n = chars.len();
                for i in 0..n {
                    let c = chars[i];
                    if !is_printable_char(c)
                        || c == '\u{FEFF}'
                        || is_break_char(c)
                        || c == '"'
                        || c == '\\'
                    {
                        self.put('\\');
                        match c {
                            '\0' => self.put('0'),
                            '\x07' => self.put('a'),
                            '\x08' => self.put('b'),
                            '\t' => self.put('t'),
                            '\n' => self.put('n'),
                            '\x0b' => self.put('v'),
                            '\x0c' => self.put('f'),
                            '\r' => self.put('r'),
                            '\x1b' => self.put('e'),
                            '"' => self.put('"'),
                            '\\' => self.put('\\'),
                            '\u{85}' => self.put('N'),
                            '\u{A0}' => self.put('_'),
                            '\u{2028}' => self.put('L'),
                            '\u{2029}' => self.put('P'),
                            c => {
                                let u = c as u32;
                                if u <= 0xFF {
                                    self.put_str(&format!("x{:02X}", u));
                                } else if u <= 0xFFFF {
                                    self.put_str(&format!("u{:04X}", u));
                                } else {
                                    self.put_str(&format!("U{:08X}", u));
                                }
                            }
                        }
                        spaces = false;
                    } else if c == ' ' {
                        if allow_breaks
                            && !spaces
                            && self.column > self.width()
                            && i > 0
                            && i < n - 1
                        {
                            self.write_indent(indent);
                            if chars.get(i + 1) == Some(&' ') {
                                self.put('\\');
                            }
                        } else {
                            self.put(c);
                        }
                        spaces = true;
                    } else {
                        self.put(c);
                        spaces = false;
                    }
                }
                self.write_indicator("\"", false, false, false);
                self.whitespace = false;
                self.indention = false;
                false
            }
            Style::Literal => {
                self.write_indicator("|", true, false, false);
                if chars
                    .first()
                    .map(|&c| c == ' ' || is_break_char(c))
                    .unwrap_or(false)
                {
                    self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
                }
                let n = chars.len();
                let chomp = if n == 0 || !is_break_char(chars[n - 1]) {
                    Some("-")
                } else if n == 1 || is_break_char(chars[n - 2]) {
                    Some("+")
                } else {
                    None
                };
                if let Some(ch) = chomp {
                    self.write_indicator(ch, false, false, false);
                }
                self.put_break();
                self.indention = true;
                self.whitespace = true;
                let mut breaks = true;
                for &c in &chars {
                    if is_break_char(c) {
                        self.put_break();
                        self.indention = true;
                        breaks = true;
                    } else {
                        if breaks {
                            self.write_indent(indent);
                        }
                        self.put(c);
                        self.indention = false;
                        breaks = false;
                    }
                }
                false
            }
        }
    }

    fn plain_marked(&mut self, s: &str, m: Option<&Mark>) {
        if !self.whitespace {
            self.put(' ');
        }
        let st = self.b.len();
        self.put_str(s);
        if let Some(m) = m {
            let e = self.b.len();
            self.b.add_mark(st..e, m.clone());
        }
        self.whitespace = false;
        self.indention = false;
    }

    /// Emits a node. `indent` is the current emitter indent; `mapping_ctx` whether the node is
    /// a mapping value.
    fn node(&mut self, v: &Value, indent: i64, mapping_ctx: bool, root: bool) {
        self.depth += 1;
        if self.depth > 100 {
            self.plain_marked("null", None);
            self.depth -= 1;
            return;
        }
        let node = if self.pretty {
            to_node_pretty(v)
        } else {
            to_node(v)
        };
        match node {
            Node::Null => self.plain_marked("null", None),
            Node::Bool(b, m) => self.plain_marked(if b { "true" } else { "false" }, m.as_ref()),
            Node::Num(s, m) => self.plain_marked(&s, m.as_ref()),
            Node::Unknown(w) => {
                if !self.whitespace {
                    self.put(' ');
                }
                let st = self.b.len();
                self.put_str(UNKNOWN_TEXT);
                let e = self.b.len();
                self.b.add_unknown(st..e, w);
                self.whitespace = false;
                self.indention = false;
            }
            Node::Str(t) => {
                let ind = if indent < 0 {
                    BEST_INDENT as i64
                } else {
                    indent + BEST_INDENT as i64
                };
                match (self.pretty, fold_nel(&t.s)) {
                    (false, Some(folded)) => {
                        let t2 = super::funcs_whole(&t, folded);
                        self.scalar_text(&t2, ind, false)
                    }
                    _ => self.scalar_text(&t, ind, false),
                }
            }
            Node::Map(entries) => {
                if entries.is_empty() {
                    self.write_indicator("{", true, true, false);
                    self.write_indicator("}", false, false, false);
                } else {
                    let ind = if indent < 0 {
                        0
                    } else {
                        indent + BEST_INDENT as i64
                    };
                    for (k, km, val) in entries.iter() {
                        self.write_indent(ind);
                        let kt = Text::marked(k.clone(), km.clone());
                        self.scalar_text(&kt, ind + BEST_INDENT as i64, true);
                        self.write_indicator(":", false, false, false);
                        self.node(val, ind, true, false);
                    }
                }
            }
            Node::Seq(items) => {
                if items.is_empty() {
                    self.write_indicator("[", true, true, false);
                    self.write_indicator("]", false, false, false);
                } else {
                    let indentless = mapping_ctx && !self.indention && !self.pretty;
                    let ind = if indent < 0 {
                        0
                    } else if indentless {
                        indent
                    } else {
                        indent + BEST_INDENT as i64
                    };
                    for it in items.iter() {
                        self.write_indent(ind);
                        self.write_indicator("-", true, false, true);
                        self.node(it, ind, false, false);
                    }
                }
            }
        }
        let _ = root;
        self.depth -= 1;
    }
}

/// `toYaml`: sigs.k8s.io/yaml.Marshal with the trailing newline removed.
pub fn to_yaml(v: &Value) -> Text {
    // sigs.k8s.io/yaml marshals to JSON and re-reads it with go-yaml: characters that encoding/json
    // leaves raw but YAML refuses (DEL, C1 controls, U+FFFE/U+FFFF) make Marshal fail, and
    // Helm's toYaml then returns "".
    if has_yaml_rejected(v, 0) {
        return Text::plain("");
    }
    emit(v, false)
}

fn rejected_char(c: char) -> bool {
    matches!(c as u32, 0x7F..=0x84 | 0x86..=0x9F | 0xFFFE | 0xFFFF)
}

fn has_yaml_rejected(v: &Value, d: usize) -> bool {
    if d > 100 {
        return false;
    }
    match v {
        Value::Str(t) => t.s.chars().any(rejected_char),
        Value::List(l) => l.items().iter().any(|x| has_yaml_rejected(x, d + 1)),
        Value::Map(m) => m
            .entries()
            .iter()
            .any(|(k, x)| k.chars().any(rejected_char) || has_yaml_rejected(x, d + 1)),
        _ => false,
    }
}

/// Raw NEL characters survive encoding/json and are folded by go-yaml's double-quoted scanner
/// (NEL is a line break): a run of spaces and NELs becomes one space (one NEL) or n-1 newlines.
fn fold_nel(s: &str) -> Option<String> {
    if !s.contains('\u{85}') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' || chars[i] == '\u{85}' {
            let st = i;
            let mut breaks = 0;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\u{85}') {
                if chars[i] == '\u{85}' {
                    breaks += 1;
                }
                i += 1;
            }
            if breaks == 0 {
                out.extend(&chars[st..i]);
            } else if breaks == 1 {
                out.push(' ');
            } else {
                for _ in 1..breaks {
                    out.push('\n');
                }
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    Some(out)
}

/// `toYamlPretty`: yaml.v3's encoder with an indent of 2.
pub fn to_yaml_pretty(v: &Value) -> Text {
    emit(v, true)
}

fn emit(v: &Value, pretty: bool) -> Text {
    let mut e = Emitter {
        pretty,
        b: TextBuf::new(),
        column: 0,
        whitespace: true,
        indention: true,
        depth: 0,
    };
    e.node(v, -1, false, true);
    // Document end writes a line break unless at the start of a fresh line; Helm then trims
    // one trailing newline.
    if e.indention && e.column == 0 && e.whitespace && e.b.t.s.ends_with('\n') {
        let n = e.b.len() - 1;
        e.b.truncate(n);
    }
    e.b.finish()
}
