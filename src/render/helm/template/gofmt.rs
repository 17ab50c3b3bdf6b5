//! Go's `fmt` and `strconv` formatting of template values (`%v`, `printf` verbs, `Quote`),
//! keeping provenance marks where the output keeps the input's bytes.

use super::value::{ListTy, Mark, Text, TextBuf, Value};

/// Shortest decimal digits of |f| and the decimal point position (Go's `digs.nd`, `digs.dp`):
/// f = 0.DIGITS × 10^dp.
fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0').to_string();
    if digits.is_empty() {
        return ("0".into(), 1);
    }
    (digits, exp + 1)
}

/// Digits of |f| rounded to `n` significant digits (trailing zeros trimmed) and dp.
fn rounded_digits(f: f64, n: usize) -> (String, i32) {
    let n = n.max(1);
    let s = format!("{:.*e}", n - 1, f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0').to_string();
    if digits.is_empty() {
        return ("0".into(), 1);
    }
    (digits, exp + 1)
}

fn fmt_e_digits(neg: bool, digits: &str, dp: i32, prec: usize, e: char) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let b = digits.as_bytes();
    out.push(if b.is_empty() { '0' } else { b[0] as char });
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(if i < b.len() { b[i] as char } else { '0' });
        }
    }
    out.push(e);
    let exp = if digits == "0" { 0 } else { dp - 1 };
    if exp < 0 {
        out.push('-');
    } else {
        out.push('+');
    }
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

fn fmt_f_digits(neg: bool, digits: &str, dp: i32, prec: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let b = digits.as_bytes();
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(if i < b.len() { b[i] as char } else { '0' });
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            let j = dp + i;
            out.push(if j >= 0 && (j as usize) < b.len() {
                b[j as usize] as char
            } else {
                '0'
            });
        }
    }
    out
}

fn special(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    } else {
        None
    }
}

/// `strconv.FormatFloat(f, 'g', prec, 64)`; `prec` None = shortest.
pub fn format_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let neg = f.is_sign_negative();
    let e = if upper { 'E' } else { 'e' };
    let (digits, dp) = match prec {
        None => shortest_digits(f),
        Some(p) => rounded_digits(f, if p == 0 { 1 } else { p }),
    };
    let nd = digits.len() as i32;
    let mut p = match prec {
        None => nd,
        Some(p) => (if p == 0 { 1 } else { p }) as i32,
    };
    let mut eprec = p;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    if prec.is_none() {
        eprec = 6;
    }
    let exp = dp - 1;
    if digits != "0" && (exp < -4 || exp >= eprec) {
        if p > nd {
            p = nd;
        }
        return fmt_e_digits(neg, &digits, dp, (p - 1).max(0) as usize, e);
    }
    if p > dp {
        p = nd;
    }
    fmt_f_digits(neg, &digits, dp, (p - dp).max(0) as usize)
}

/// `strconv.FormatFloat(f, 'e', prec, 64)`; `prec` None = shortest.
pub fn format_e(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    let neg = f.is_sign_negative();
    let e = if upper { 'E' } else { 'e' };
    match prec {
        None => {
            let (d, dp) = shortest_digits(f);
            fmt_e_digits(neg, &d, dp, d.len().saturating_sub(1), e)
        }
        Some(p) => {
            let (d, dp) = rounded_digits(f, p + 1);
            fmt_e_digits(neg, &d, dp, p, e)
        }
    }
}

/// `strconv.FormatFloat(f, 'f', prec, 64)`; `prec` None = shortest.
pub fn format_f(f: f64, prec: Option<usize>) -> String {
    if let Some(s) = special(f) {
        return s;
    }
    match prec {
        Some(p) => {
            let s = format!("{:.*}", p, f);
            if s.starts_with('-')
                && s[1..].chars().all(|c| c == '0' || c == '.')
                && !f.is_sign_negative()
            {
                return s[1..].to_string();
            }
            s
        }
        None => {
            let (d, dp) = shortest_digits(f);
            let neg = f.is_sign_negative();
            fmt_f_digits(neg, &d, dp, (d.len() as i32 - dp).max(0) as usize)
        }
    }
}

/// `%v` of a float64.
pub fn float_v(f: f64) -> String {
    format_g(f, None, false)
}

/// Go's `unicode.IsPrint`, approximated without tables for unassigned code points.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF
        | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF | 0xD800..=0xDFFF)
}

/// `strconv.Quote`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    quote_into(&mut out, s, '"');
    out.push('"');
    out
}

pub fn quote_into(out: &mut String, s: &str, q: char) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == q => {
                out.push('\\');
                out.push(c)
            }
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
}

/// Quotes a marked text: positions are kept when quoting escapes nothing.
pub fn quote_text(b: &mut TextBuf, t: &Text) {
    let q = quote(&t.s);
    if q.len() == t.s.len() + 2 {
        b.push_str("\"");
        b.push_text(t);
        b.push_str("\"");
    } else {
        let start = b.len();
        b.push_str(&q);
        let end = b.len();
        b.mark_whole_from(start..end, t);
        for (_, why) in &t.unknown {
            b.add_unknown(start..end, why.clone());
        }
    }
}

/// Writes `%v` of a value. `top`: a nil at top level prints as `<nil>` (fmt) — the template
/// printer handles `<no value>` itself.
pub fn write_v(b: &mut TextBuf, v: &Value) {
    write_v_d(b, v, 0)
}

fn write_v_d(b: &mut TextBuf, v: &Value, depth: usize) {
    if depth > 100 {
        b.push_str("...");
        return;
    }
    match v {
        Value::Nil => b.push_str("<nil>"),
        Value::Bool(x, m) => b.push_marked(if *x { "true" } else { "false" }, m.as_ref()),
        Value::Int(i, m) | Value::Int64(i, m) => b.push_marked(&i.to_string(), m.as_ref()),
        Value::Float(f, m) => b.push_marked(&float_v(*f), m.as_ref()),
        Value::Str(t) => b.push_text(t),
        Value::List(l) => {
            b.push_str("[");
            for (i, it) in l.items().iter().enumerate() {
                if i > 0 {
                    b.push_str(" ");
                }
                write_v_d(b, it, depth + 1);
            }
            b.push_str("]");
        }
        Value::Map(m) => {
            b.push_str("map[");
            let km = m.data.borrow().key_marks.clone();
            for (i, (k, it)) in m.entries().iter().enumerate() {
                if i > 0 {
                    b.push_str(" ");
                }
                b.push_marked(k, km.get(k));
                b.push_str(":");
                write_v_d(b, it, depth + 1);
            }
            b.push_str("]");
        }
        Value::Object(o) => b.push_str(&o.format()),
        Value::Unknown(r) => b.push_unknown(r),
    }
}

/// Plain `%v` string.
pub fn sprint_v(v: &Value) -> String {
    let mut b = TextBuf::new();
    write_v(&mut b, v);
    b.finish().s
}

/// Sprig's `strval` as text (strings as they are, everything else `%v`).
pub fn strval(v: &Value) -> Text {
    match v {
        Value::Str(t) => (**t).clone(),
        Value::List(l) if l.ty() == ListTy::Bytes => {
            let bytes: Vec<u8> = l
                .items()
                .iter()
                .map(|b| {
                    if let Value::Int(i, _) = b {
                        *i as u8
                    } else {
                        0
                    }
                })
                .collect();
            let mark = l.items().first().and_then(|b| b.mark());
            Text::marked(String::from_utf8_lossy(&bytes).into_owned(), mark)
        }
        _ => {
            let mut b = TextBuf::new();
            write_v(&mut b, v);
            b.finish()
        }
    }
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> Text {
    let mut b = TextBuf::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            b.push_str(" ");
        }
        write_v(&mut b, a);
        prev_string = is_string;
    }
    b.finish()
}

/// `fmt.Sprintln`.
pub fn sprintln(args: &[Value]) -> Text {
    let mut b = TextBuf::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            b.push_str(" ");
        }
        write_v(&mut b, a);
    }
    b.push_str("\n");
    b.finish()
}

#[derive(Default, Clone, Copy)]
struct Flags {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn pad(b: &mut TextBuf, s: &str, fl: &Flags, mark_src: Option<&Value>) {
    let n = s.chars().count();
    let w = fl.width.unwrap_or(0);
    let start;
    if n >= w {
        start = b.len();
        b.push_str(s);
    } else if fl.minus {
        start = b.len();
        b.push_str(s);
        let end = b.len();
        if let Some(v) = mark_src {
            mark_piece(b, start..end, v);
        }
        for _ in 0..w - n {
            b.push_char(' ');
        }
        return;
    } else if fl.zero {
        // zero padding goes after the sign
        let (sign, rest) = if s.starts_with('-') || s.starts_with('+') || s.starts_with(' ') {
            s.split_at(1)
        } else {
            ("", s)
        };
        start = b.len();
        b.push_str(sign);
        for _ in 0..w - n {
            b.push_char('0');
        }
        b.push_str(rest);
    } else {
        for _ in 0..w - n {
            b.push_char(' ');
        }
        start = b.len();
        b.push_str(s);
    }
    let end = b.len();
    if let Some(v) = mark_src {
        mark_piece(b, start..end, v);
    }
}

fn mark_piece(b: &mut TextBuf, r: std::ops::Range<usize>, v: &Value) {
    match v {
        Value::Str(t) => {
            b.mark_whole_from(r.clone(), t);
            for (_, why) in &t.unknown {
                b.add_unknown(r.clone(), why.clone());
            }
        }
        Value::Unknown(why) => b.add_unknown(r, why.clone()),
        v => {
            if let Some(m) = v.mark() {
                b.add_mark(r, m);
            }
        }
    }
}

fn bad_verb(b: &mut TextBuf, verb: char, v: Option<&Value>) {
    b.push_str("%!");
    b.push_char(verb);
    b.push_str("(");
    match v {
        None => b.push_str("MISSING"),
        Some(Value::Nil) => b.push_str("<nil>"),
        Some(v) => {
            b.push_str(&v.type_name());
            b.push_str("=");
            write_v(b, v);
        }
    }
    b.push_str(")");
}

fn fmt_int(i: i64, verb: char, fl: &Flags) -> Option<String> {
    let neg = i < 0;
    let u = i.unsigned_abs();
    let mut digits = match verb {
        'd' | 'v' => u.to_string(),
        'x' => format!("{:x}", u),
        'X' => format!("{:X}", u),
        'o' | 'O' => format!("{:o}", u),
        'b' => format!("{:b}", u),
        _ => return None,
    };
    if let Some(p) = fl.prec {
        while digits.len() < p {
            digits.insert(0, '0');
        }
        if p == 0 && u == 0 {
            digits.clear();
        }
    }
    let mut prefix = String::new();
    if fl.sharp {
        match verb {
            'x' => prefix.push_str("0x"),
            'X' => prefix.push_str("0X"),
            'o' if !digits.starts_with('0') => prefix.push('0'),
            'b' => prefix.push_str("0b"),
            _ => {}
        }
    }
    if verb == 'O' {
        prefix.push_str("0o");
    }
    let sign = if neg {
        "-"
    } else if fl.plus {
        "+"
    } else if fl.space {
        " "
    } else {
        ""
    };
    Some(format!("{sign}{prefix}{digits}"))
}

fn fmt_float(f: f64, verb: char, fl: &Flags) -> Option<String> {
    let mut s = match verb {
        'v' | 'g' => format_g(f, fl.prec, false),
        'G' => format_g(f, fl.prec, true),
        'e' => format_e(f, Some(fl.prec.unwrap_or(6)), false),
        'E' => format_e(f, Some(fl.prec.unwrap_or(6)), true),
        'f' | 'F' => format_f(f, Some(fl.prec.unwrap_or(6))),
        _ => return None,
    };
    if (fl.plus || fl.space) && !s.starts_with('-') && !s.starts_with('+') {
        s.insert(0, if fl.plus { '+' } else { ' ' });
    } else if s.starts_with('+') && !fl.plus {
        // +Inf without plus flag
        if s == "+Inf" {
            s = if fl.space {
                " Inf".into()
            } else {
                "+Inf".into()
            };
        }
    }
    Some(s)
}

/// Formats one operand for one verb.
fn format_arg(b: &mut TextBuf, verb: char, fl: &Flags, v: &Value, depth: usize) {
    match v {
        Value::Unknown(why) => {
            b.push_unknown(why);
        }
        Value::Nil => match verb {
            'v' => pad(b, "<nil>", fl, None),
            _ => bad_verb(b, verb, Some(v)),
        },
        Value::Bool(x, _) => match verb {
            't' | 'v' => pad(b, if *x { "true" } else { "false" }, fl, Some(v)),
            _ => bad_verb(b, verb, Some(v)),
        },
        Value::Int(i, _) | Value::Int64(i, _) => match verb {
            'c' => pad(
                b,
                &char::from_u32(*i as u32).unwrap_or('\u{FFFD}').to_string(),
                fl,
                Some(v),
            ),
            'q' => {
                let c = char::from_u32(*i as u32).unwrap_or('\u{FFFD}');
                let mut s = String::from("'");
                quote_into(&mut s, &c.to_string(), '\'');
                s.push('\'');
                pad(b, &s, fl, Some(v))
            }
            'U' => {
                let mut s = format!("U+{:04X}", i);
                if fl.sharp
                    && let Some(c) = char::from_u32(*i as u32)
                {
                    s.push_str(&format!(" '{}'", c));
                }
                pad(b, &s, fl, Some(v))
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => bad_verb(b, verb, Some(v)),
            _ => match fmt_int(*i, verb, fl) {
                Some(s) => {
                    let mut fl2 = *fl;
                    if fl.prec.is_some() {
                        fl2.zero = false;
                    }
                    pad(b, &s, &fl2, Some(v))
                }
                None => bad_verb(b, verb, Some(v)),
            },
        },
        Value::Float(f, _) => match fmt_float(*f, verb, fl) {
            Some(s) => pad(b, &s, fl, Some(v)),
            None => {
                if verb == 'x' || verb == 'X' {
                    // hexadecimal float: rare; approximate with %v
                    pad(b, &float_v(*f), fl, Some(v))
                } else {
                    bad_verb(b, verb, Some(v))
                }
            }
        },
        Value::Str(t) => match verb {
            's' | 'v' => {
                if fl.width.is_none() && fl.prec.is_none() {
                    b.push_text(t);
                } else {
                    let s: String = match fl.prec {
                        Some(p) => t.s.chars().take(p).collect(),
                        None => t.s.clone(),
                    };
                    pad(b, &s, fl, Some(v));
                }
            }
            'q' => {
                if fl.width.is_none() {
                    quote_text(b, t);
                } else {
                    pad(b, &quote(&t.s), fl, Some(v));
                }
            }
            'x' | 'X' => {
                let mut s = String::new();
                for (i, byte) in t.s.bytes().enumerate() {
                    if fl.space && i > 0 {
                        s.push(' ');
                    }
                    if verb == 'x' {
                        s.push_str(&format!("{:02x}", byte));
                    } else {
                        s.push_str(&format!("{:02X}", byte));
                    }
                }
                pad(b, &s, fl, Some(v))
            }
            _ => bad_verb(b, verb, Some(v)),
        },
        Value::List(l) if l.ty() == ListTy::Bytes && matches!(verb, 's' | 'q' | 'x' | 'X') => {
            format_arg(b, verb, fl, &Value::text(strval(v)), depth + 1);
        }
        Value::List(l) => {
            if depth > 50 {
                b.push_str("...");
                return;
            }
            b.push_str("[");
            for (i, it) in l.items().iter().enumerate() {
                if i > 0 {
                    b.push_str(" ");
                }
                format_arg(b, verb, fl, it, depth + 1);
            }
            b.push_str("]");
        }
        Value::Map(m) => {
            if depth > 50 {
                b.push_str("...");
                return;
            }
            b.push_str("map[");
            for (i, (k, it)) in m.entries().iter().enumerate() {
                if i > 0 {
                    b.push_str(" ");
                }
                format_arg(b, verb, fl, &Value::str(k.clone()), depth + 1);
                b.push_str(":");
                format_arg(b, verb, fl, it, depth + 1);
            }
            b.push_str("]");
        }
        Value::Object(o) => match verb {
            's' | 'v' => pad(b, &o.format(), fl, None),
            _ => bad_verb(b, verb, Some(v)),
        },
    }
}

/// `fmt.Sprintf` with Go's verbs, flags, width/precision (also `*`), and its error notations.
pub fn sprintf(format: &Text, args: &[Value]) -> Text {
    let mut b = TextBuf::new();
    let f = format.s.as_bytes();
    let mut argi = 0usize;
    let mut i = 0usize;
    let mut lit_start = 0usize;
    let mut reordered = false;
    while i < f.len() {
        if f[i] != b'%' {
            i += 1;
            continue;
        }
        if lit_start < i {
            b.push_slice(format, lit_start..i);
        }
        i += 1;
        let mut fl = Flags::default();
        // flags
        while i < f.len() {
            match f[i] {
                b'-' => {
                    fl.minus = true;
                    fl.zero = false
                }
                b'+' => fl.plus = true,
                b'#' => fl.sharp = true,
                b' ' => fl.space = true,
                b'0' => fl.zero = !fl.minus,
                _ => break,
            }
            i += 1;
        }
        // explicit argument index [n]
        let mut parse_index = |i: &mut usize, argi: &mut usize| {
            if *i < f.len() && f[*i] == b'[' {
                let mut j = *i + 1;
                let mut n = 0usize;
                while j < f.len() && f[j].is_ascii_digit() {
                    n = n.saturating_mul(10).saturating_add((f[j] - b'0') as usize);
                    j += 1;
                }
                if j < f.len() && f[j] == b']' && n >= 1 {
                    *argi = n - 1;
                    *i = j + 1;
                    reordered = true;
                }
            }
        };
        parse_index(&mut i, &mut argi);
        // width
        if i < f.len() && f[i] == b'*' {
            i += 1;
            match args.get(argi) {
                Some(Value::Int(n, _)) | Some(Value::Int64(n, _)) => {
                    let mut n = *n;
                    if n < 0 {
                        fl.minus = true;
                        fl.zero = false;
                        n = -n;
                    }
                    fl.width = Some(n.min(1_000_000) as usize);
                }
                _ => b.push_str("%!(BADWIDTH)"),
            }
            argi += 1;
        } else {
            let st = i;
            let mut n = 0usize;
            while i < f.len() && f[i].is_ascii_digit() {
                n = n.saturating_mul(10).saturating_add((f[i] - b'0') as usize);
                i += 1;
            }
            if i > st {
                fl.width = Some(n.min(1_000_000));
            }
        }
        // precision
        if i < f.len() && f[i] == b'.' {
            i += 1;
            parse_index(&mut i, &mut argi);
            if i < f.len() && f[i] == b'*' {
                i += 1;
                match args.get(argi) {
                    Some(Value::Int(n, _)) | Some(Value::Int64(n, _)) if *n >= 0 => {
                        fl.prec = Some((*n).min(1_000_000) as usize)
                    }
                    _ => b.push_str("%!(BADPREC)"),
                }
                argi += 1;
            } else {
                let mut n = 0usize;
                while i < f.len() && f[i].is_ascii_digit() {
                    n = n.saturating_mul(10).saturating_add((f[i] - b'0') as usize);
                    i += 1;
                }
                fl.prec = Some(n.min(1_000_000));
            }
        }
        parse_index(&mut i, &mut argi);
        if i >= f.len() {
            b.push_str("%!(NOVERB)");
            lit_start = i;
            break;
        }
        let verb = format.s[i..].chars().next().unwrap_or('?');
        i += verb.len_utf8();
        lit_start = i;
        if verb == '%' {
            b.push_str("%");
            continue;
        }
        match args.get(argi) {
            None => {
                b.push_str("%!");
                b.push_char(verb);
                b.push_str("(MISSING)");
            }
            Some(v) => {
                argi += 1;
                format_arg(&mut b, verb, &fl, v, 0);
            }
        }
    }
    if lit_start < f.len() {
        b.push_slice(format, lit_start..f.len());
    }
    if !reordered && argi < args.len() {
        b.push_str("%!(EXTRA ");
        for (k, a) in args[argi..].iter().enumerate() {
            if k > 0 {
                b.push_str(", ");
            }
            match a {
                Value::Nil => b.push_str("<nil>"),
                a => {
                    b.push_str(&a.type_name());
                    b.push_str("=");
                    write_v(&mut b, a);
                }
            }
        }
        b.push_str(")");
    }
    b.finish()
}

/// The mark to give a piece derived from several values as a whole.
pub fn first_mark(vals: &[&Value]) -> Option<Mark> {
    vals.iter().find_map(|v| v.mark())
}
