//! Sprig string functions, keeping provenance marks where output bytes come from input bytes.

use super::super::gofmt;
use super::super::value::{List, ListTy, Map, MapTy, Text, TextBuf, Value};
use super::Host;
use super::{Call, FR, FnErr, FuncDef, P, U, f, text_of};

pub(super) fn defs() -> Vec<FuncDef> {
    vec![
        f!("abbrev", [Int, Str], None, Text, |_, c| {
            let (w, s) = (c.i(0), c.s(1));
            if w < 4 {
                return Ok(Value::text(s));
            }
            Ok(Value::text(abbrev_full(&s, 0, w)))
        }),
        f!("abbrevboth", [Int, Int, Str], None, Text, |_, c| {
            let (l, r, s) = (c.i(0), c.i(1), c.s(2));
            if r < 4 || l > 0 && r < 7 {
                return Ok(Value::text(s));
            }
            Ok(Value::text(abbrev_full(&s, l, r)))
        }),
        f!("trunc", [Int, Str], None, Text, |_, c| {
            let (n, s) = (c.i(0), c.s(1));
            let len = s.s.len() as i64;
            let r = if n < 0 && len + n > 0 {
                floor_char(&s.s, (len + n) as usize)..s.s.len()
            } else if n >= 0 && len > n {
                0..floor_char(&s.s, n as usize)
            } else {
                0..s.s.len()
            };
            Ok(Value::text(s.slice(r)))
        }),
        f!("trim", [Str], None, Text, |_, c| {
            let s = c.s(0);
            let t = s.s.trim_start_matches(char::is_whitespace);
            let a = s.s.len() - t.len();
            let b = a + t.trim_end_matches(char::is_whitespace).len();
            Ok(Value::text(s.slice(a..b)))
        }),
        f!("upper", [Str], None, Text, |_, c| Ok(Value::text(
            map_same(&c.s(0), simple_case(&c.s(0).s, true))
        ))),
        f!("lower", [Str], None, Text, |_, c| Ok(Value::text(
            map_same(&c.s(0), simple_case(&c.s(0).s, false))
        ))),
        f!("title", [Str], None, Text, |_, c| Ok(Value::text(
            map_same(&c.s(0), go_title(&c.s(0).s))
        ))),
        f!("untitle", [Str], None, Text, |_, c| Ok(Value::text(
            map_same(&c.s(0), untitle(&c.s(0).s))
        ))),
        f!("substr", [Int, Int, Str], None, Text, |_, c| {
            let (start, end, s) = (c.i(0), c.i(1), c.s(2));
            let len = s.s.len() as i64;
            let (a, b) = if start < 0 {
                (0, end)
            } else if end < 0 || end > len {
                (start, len)
            } else {
                (start, end)
            };
            if a < 0 || b < 0 || a > b || b > len {
                return Err(FnErr::Msg(format!(
                    "runtime error: slice bounds out of range [{}:{}]",
                    a, b
                )));
            }
            Ok(Value::text(s.slice(
                floor_char(&s.s, a as usize)..floor_char(&s.s, b as usize),
            )))
        }),
        f!("repeat", [Int, Str], None, Text, |ex, c| {
            let (n, s) = (c.i(0), c.s(1));
            if n < 0 {
                return Err(FnErr::Msg("strings: negative Repeat count".into()));
            }
            if (n as u128) * (s.s.len() as u128) > ex.limits().max_output_bytes as u128 {
                return Err(FnErr::Limit(format!(
                    "repeat result larger than {} bytes",
                    ex.limits().max_output_bytes
                )));
            }
            let mut b = TextBuf::new();
            for _ in 0..n {
                b.push_text(&s);
            }
            Ok(Value::text(b.finish()))
        }),
        f!("trimall", [Str, Str], None, Text, |_, c| Ok(Value::text(
            trim_set(&c.s(1), &c.st(0))
        ))),
        f!("trimAll", [Str, Str], None, Text, |_, c| Ok(Value::text(
            trim_set(&c.s(1), &c.st(0))
        ))),
        f!("trimSuffix", [Str, Str], None, Text, |_, c| {
            let (suf, s) = (c.st(0), c.s(1));
            let end = if s.s.ends_with(&suf) {
                s.s.len() - suf.len()
            } else {
                s.s.len()
            };
            Ok(Value::text(s.slice(0..end)))
        }),
        f!("trimPrefix", [Str, Str], None, Text, |_, c| {
            let (pre, s) = (c.st(0), c.s(1));
            let st = if s.s.starts_with(&pre) { pre.len() } else { 0 };
            Ok(Value::text(s.slice(st..s.s.len())))
        }),
        f!("nospace", [Str], None, Text, |_, c| {
            let s = c.s(0);
            let mut b = TextBuf::new();
            for (i, ch) in s.s.char_indices() {
                if !ch.is_whitespace() {
                    b.push_slice(&s, i..i + ch.len_utf8());
                }
            }
            Ok(Value::text(b.finish()))
        }),
        f!("initials", [Str], None, Text, |_, c| {
            let s = c.s(0);
            let mut b = TextBuf::new();
            let mut prev_space = true;
            for (i, ch) in s.s.char_indices() {
                if ch.is_whitespace() {
                    prev_space = true;
                } else {
                    if prev_space {
                        b.push_slice(&s, i..i + ch.len_utf8());
                    }
                    prev_space = false;
                }
            }
            Ok(Value::text(b.finish()))
        }),
        f!("swapcase", [Str], None, Text, |_, c| {
            let s = c.s(0);
            let o: String =
                s.s.chars()
                    .flat_map(|ch| {
                        if ch.is_uppercase() {
                            ch.to_lowercase().collect::<Vec<_>>()
                        } else if ch.is_lowercase() {
                            ch.to_uppercase().collect::<Vec<_>>()
                        } else {
                            vec![ch]
                        }
                    })
                    .collect();
            Ok(Value::text(map_same(&s, o)))
        }),
        f!("shuffle", [Str], None, Prop, |_, _| Ok(Value::unknown(
            "shuffle: random order"
        ))),
        f!("snakecase", [Str], None, Text, |_, c| Ok(Value::text(
            whole(&c.s(0), case_words(&c.s(0).s, '_'))
        ))),
        f!("kebabcase", [Str], None, Text, |_, c| Ok(Value::text(
            whole(&c.s(0), case_words(&c.s(0).s, '-'))
        ))),
        f!("camelcase", [Str], None, Text, |_, c| Ok(Value::text(
            whole(&c.s(0), pascal(&c.s(0).s))
        ))),
        f!("wrap", [Int, Str], None, Text, |_, c| Ok(Value::text(
            whole(&c.s(1), wrap(&c.s(1).s, c.i(0), "\n", false))
        ))),
        f!("wrapWith", [Int, Str, Str], None, Text, |_, c| {
            Ok(Value::text(whole(
                &c.s(2),
                wrap(&c.s(2).s, c.i(0), &c.st(1), true),
            )))
        }),
        f!("contains", [Str, Str], None, Prop, |_, c| Ok(Value::Bool(
            c.st(1).contains(&c.st(0)),
            None
        ))),
        f!("hasPrefix", [Str, Str], None, Prop, |_, c| Ok(Value::Bool(
            c.st(1).starts_with(&c.st(0)),
            None
        ))),
        f!("hasSuffix", [Str, Str], None, Prop, |_, c| Ok(Value::Bool(
            c.st(1).ends_with(&c.st(0)),
            None
        ))),
        f!("quote", [], Some(P::Any), Own, |_, c| {
            let mut b = TextBuf::new();
            let mut first = true;
            for a in &c.args {
                if matches!(a, Value::Nil) {
                    continue;
                }
                if !first {
                    b.push_str(" ");
                }
                first = false;
                gofmt::quote_text(&mut b, &text_of(a));
            }
            Ok(Value::text(b.finish()))
        }),
        f!("squote", [], Some(P::Any), Own, |_, c| {
            let mut b = TextBuf::new();
            let mut first = true;
            for a in &c.args {
                if matches!(a, Value::Nil) {
                    continue;
                }
                if !first {
                    b.push_str(" ");
                }
                first = false;
                b.push_str("'");
                b.push_text(&text_of(a));
                b.push_str("'");
            }
            Ok(Value::text(b.finish()))
        }),
        f!("cat", [], Some(P::Any), Own, |_, c| {
            let mut b = TextBuf::new();
            let mut first = true;
            for a in &c.args {
                if matches!(a, Value::Nil) {
                    continue;
                }
                if !first {
                    b.push_str(" ");
                }
                first = false;
                gofmt::write_v(&mut b, a);
            }
            Ok(Value::text(b.finish()))
        }),
        f!("indent", [Int, Str], None, Text, |ex, c| indent_fn(
            ex, c, false
        )),
        f!("nindent", [Int, Str], None, Text, |ex, c| indent_fn(
            ex, c, true
        )),
        f!("replace", [Str, Str, Str], None, Text, |ex, c| {
            let (src, old, new) = (c.s(2), c.st(0), c.s(1));
            let n = if old.is_empty() {
                src.s.chars().count() + 1
            } else {
                src.s.matches(old.as_str()).count()
            };
            if (n as u128) * (new.s.len() as u128) + src.s.len() as u128
                > ex.limits().max_output_bytes as u128
            {
                return Err(FnErr::Limit(format!(
                    "replace result larger than {} bytes",
                    ex.limits().max_output_bytes
                )));
            }
            Ok(Value::text(replace(&src, &old, &new)))
        }),
        f!("plural", [Str, Str, Int], None, Text, |_, c| Ok(
            if c.i(2) == 1 {
                c.v(0).clone()
            } else {
                c.v(1).clone()
            }
        )),
        f!("toString", [Any], None, Own, |_, c| Ok(Value::text(
            text_of(c.v(0))
        ))),
        f!("split", [Str, Str], None, Prop, |_, c| {
            let (sep, s) = (c.st(0), c.s(1));
            let m = Map::with_ty(MapTy::Str);
            for (i, p) in go_split(&s, &sep, -1).into_iter().enumerate() {
                m.insert(format!("_{}", i), Value::text(p));
            }
            Ok(Value::Map(m))
        }),
        f!("splitn", [Str, Int, Str], None, Prop, |_, c| {
            let (sep, n, s) = (c.st(0), c.i(1), c.s(2));
            let m = Map::with_ty(MapTy::Str);
            for (i, p) in go_split(&s, &sep, n).into_iter().enumerate() {
                m.insert(format!("_{}", i), Value::text(p));
            }
            Ok(Value::Map(m))
        }),
        f!("splitList", [Str, Str], None, Prop, |_, c| {
            let (sep, s) = (c.st(0), c.s(1));
            let items = go_split(&s, &sep, -1)
                .into_iter()
                .map(Value::text)
                .collect();
            Ok(Value::List(List::typed(items, ListTy::Str)))
        }),
        f!("toStrings", [Any], None, Prop, |_, c| Ok(Value::List(
            List::typed(strslice(c.v(0)), ListTy::Str)
        ))),
        f!("join", [Str, Any], None, Text, |_, c| {
            let sep = c.s(0);
            let items = strslice(c.v(1));
            let mut b = TextBuf::new();
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    b.push_text(&sep);
                }
                b.push_text(&text_of(it));
            }
            Ok(Value::text(b.finish()))
        }),
        f!("sortAlpha", [Any], None, Prop, |_, c| {
            let mut items = match c.v(0) {
                Value::List(_) => strslice(c.v(0)),
                v => vec![Value::text(gofmt::strval(v))],
            };
            items.sort_by(|a, b| a.as_str().unwrap_or("").cmp(b.as_str().unwrap_or("")));
            Ok(Value::List(List::typed(items, ListTy::Str)))
        }),
    ]
}

/// Go's strings.ToUpper/ToLower: simple (one rune to one rune) case mapping.
pub(crate) fn simple_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut it: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if it.len() == 1 {
                it.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn indent_fn(ex: &mut dyn Host, c: &mut Call, newline: bool) -> FR {
    let (n, s) = (c.i(0), c.s(1));
    let lines = s.s.matches('\n').count() as u128 + 1;
    if (n.max(0) as u128) * lines + s.s.len() as u128 > ex.limits().max_output_bytes as u128 {
        return Err(FnErr::Limit(format!(
            "indent result larger than {} bytes",
            ex.limits().max_output_bytes
        )));
    }
    Ok(Value::text(indent(n, &s, newline)))
}

/// Largest char boundary <= i.
pub(crate) fn floor_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Output of a char mapping: same positions when the length is unchanged, else whole marks.
pub(crate) fn map_same(input: &Text, out: String) -> Text {
    if out.len() == input.s.len() {
        Text {
            s: out,
            marks: input.marks.clone(),
            unknown: input.unknown.clone(),
        }
    } else {
        whole(input, out)
    }
}

/// A new string derived from `input` as a whole: every mark of the input covers all of it.
pub(crate) fn whole(input: &Text, out: String) -> Text {
    let mut b = TextBuf::new();
    b.push_str(&out);
    let n = b.len();
    b.mark_whole_from(0..n, input);
    for (_, w) in &input.unknown {
        b.add_unknown(0..n, w.clone());
    }
    b.finish()
}

fn abbrev_full(s: &Text, offset: i64, max: i64) -> Text {
    let len = s.s.len() as i64;
    if s.s.is_empty() || max < 4 {
        return if max < 4 { Text::plain("") } else { s.clone() };
    }
    if len <= max {
        return s.clone();
    }
    let mut off = offset.min(len);
    if len - off < max - 3 {
        off = len - (max - 3);
    }
    let mut b = TextBuf::new();
    if off <= 4 {
        b.push_slice(s, 0..floor_char(&s.s, (max - 3) as usize));
        b.push_str("...");
        return b.finish();
    }
    if max < 7 {
        return Text::plain("");
    }
    if off + max - 3 < len {
        let rest = s.slice(floor_char(&s.s, off as usize)..s.s.len());
        b.push_str("...");
        b.push_text(&abbrev_full(&rest, 0, max - 3));
        return b.finish();
    }
    b.push_str("...");
    b.push_slice(s, floor_char(&s.s, (len - (max - 3)) as usize)..s.s.len());
    b.finish()
}

fn trim_set(s: &Text, cutset: &str) -> Text {
    let t = s.s.trim_start_matches(|c| cutset.contains(c));
    let a = s.s.len() - t.len();
    let b = a + t.trim_end_matches(|c| cutset.contains(c)).len();
    s.slice(a..b)
}

fn go_is_separator(r: char) -> bool {
    if (r as u32) <= 0x7F {
        return !(r.is_ascii_alphanumeric() || r == '_');
    }
    if r.is_alphabetic() || r.is_numeric() {
        return false;
    }
    r.is_whitespace()
}

/// Go's deprecated `strings.Title`.
pub(crate) fn go_title(s: &str) -> String {
    let mut prev = ' ';
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if go_is_separator(prev) {
            o.extend(c.to_uppercase());
        } else {
            o.push(c);
        }
        prev = c;
    }
    o
}

fn untitle(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut prev_space = true;
    for c in s.chars() {
        if prev_space {
            o.extend(c.to_lowercase());
        } else {
            o.push(c);
        }
        prev_space = c.is_whitespace();
    }
    o
}

/// Word splitting of huandu/xstrings (used by snakecase/kebabcase): case changes, acronyms,
/// and numbers (attached to the previous word unless lower-case letters follow them).
fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() {
            let prev = chars[i - 1];
            let next = chars.get(i + 1).copied();
            let boundary = if c.is_numeric() && prev.is_alphabetic() {
                // digits followed by lower-case letters start a new word ("HTTP2xx")
                let after = chars[i..].iter().find(|x| !x.is_numeric()).copied();
                after.map(|a| a.is_lowercase()).unwrap_or(false)
            } else if c.is_alphabetic() && prev.is_numeric() {
                c.is_uppercase()
            } else {
                (c.is_uppercase() && prev.is_lowercase())
                    || (c.is_uppercase()
                        && prev.is_uppercase()
                        && next.map(|n| n.is_lowercase()).unwrap_or(false))
            };
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn case_words(s: &str, sep: char) -> String {
    words(s)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

fn pascal(s: &str) -> String {
    let mut o = String::new();
    for w in s.split(['_', '-', ' ', '.']) {
        let mut cs = w.chars();
        if let Some(f) = cs.next() {
            o.extend(f.to_uppercase());
            o.push_str(cs.as_str());
        }
    }
    o
}

/// goutils.WrapCustom (approximation of its greedy word wrapping).
fn wrap(s: &str, width: i64, nl: &str, long_words: bool) -> String {
    let width = width.max(1) as usize;
    let mut out = String::new();
    for (li, line) in s.split('\n').enumerate() {
        if li > 0 {
            out.push_str(nl);
        }
        let mut col = 0usize;
        for (wi, w) in line.split(' ').filter(|w| !w.is_empty()).enumerate() {
            let wl = w.chars().count();
            if wi > 0 {
                if col + 1 + wl > width {
                    out.push_str(nl);
                    col = 0;
                } else {
                    out.push(' ');
                    col += 1;
                }
            }
            if long_words && wl > width {
                let cs: Vec<char> = w.chars().collect();
                for (k, ch) in cs.iter().enumerate() {
                    if k > 0 && k % width == 0 {
                        out.push_str(nl);
                    }
                    out.push(*ch);
                }
                col = wl % width;
            } else {
                out.push_str(w);
                col += wl;
            }
        }
    }
    out
}

fn indent(n: i64, s: &Text, newline: bool) -> Text {
    let pad = " ".repeat(n.max(0) as usize);
    let mut b = TextBuf::new();
    if newline {
        b.push_str("\n");
    }
    b.push_str(&pad);
    let mut lines = Vec::new();
    let mut last = 0;
    for (i, _) in s.s.match_indices('\n') {
        lines.push(last..i + 1);
        last = i + 1;
    }
    lines.push(last..s.s.len());
    let n = lines.len();
    b.push_slices(s, &lines, |b, i| {
        if i + 1 < n {
            b.push_str(&pad);
        }
    });
    b.finish()
}

/// strings.Replace(src, old, new, -1) with marks: kept parts keep theirs, inserted parts carry
/// the marks of `new`.
pub(crate) fn replace(src: &Text, old: &str, new: &Text) -> Text {
    let mut b = TextBuf::new();
    if old.is_empty() {
        // Go inserts `new` before every rune and at the end.
        for (i, ch) in src.s.char_indices() {
            b.push_text(new);
            b.push_slice(src, i..i + ch.len_utf8());
        }
        b.push_text(new);
        return b.finish();
    }
    let mut kept = Vec::new();
    let mut last = 0;
    for (i, _) in src.s.match_indices(old) {
        kept.push(last..i);
        last = i + old.len();
    }
    kept.push(last..src.s.len());
    let n = kept.len();
    b.push_slices(src, &kept, |b, i| {
        if i + 1 < n {
            b.push_text(new);
        }
    });
    b.finish()
}

/// strings.SplitN with marks.
pub(crate) fn go_split(s: &Text, sep: &str, n: i64) -> Vec<Text> {
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    if sep.is_empty() {
        let chars: Vec<(usize, char)> = s.s.char_indices().collect();
        for (k, (i, ch)) in chars.iter().enumerate() {
            if n > 0 && k as i64 == n - 1 {
                out.push(s.slice(*i..s.s.len()));
                return out;
            }
            out.push(s.slice(*i..i + ch.len_utf8()));
        }
        return out;
    }
    let mut last = 0;
    for (i, _) in s.s.match_indices(sep) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        out.push(s.slice(last..i));
        last = i + sep.len();
    }
    out.push(s.slice(last..s.s.len()));
    out
}

/// Sprig's `strslice`: a list as strings (nil elements of []interface{} dropped).
pub(crate) fn strslice(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l
            .items()
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(|x| match x {
                Value::Str(_) | Value::Unknown(_) => x.clone(),
                x => Value::text(gofmt::strval(x)),
            })
            .collect(),
        Value::Nil => Vec::new(),
        Value::Object(o) => match o.to_data() {
            Some(d @ Value::List(_)) => strslice(&d),
            _ => vec![Value::text(gofmt::strval(v))],
        },
        v => vec![Value::text(gofmt::strval(v))],
    }
}

#[allow(dead_code)]
fn unused(_: &mut dyn Host, _: &mut Call) -> FR {
    Ok(Value::Nil)
}
