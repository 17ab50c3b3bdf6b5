//! JSON as Go's encoding/json writes and reads it (sorted keys, HTML escaping, float64 numbers).

use super::value::{List, Map, Text, TextBuf, UNKNOWN_TEXT, Value};
use super::yaml::json_float;

pub struct JsonOpts<'a> {
    pub escape_html: bool,
    /// Indent unit for MarshalIndent ("  "), or None for compact output.
    pub indent: Option<&'a str>,
}

/// Marshals a value; `Err` is Go's error text.
pub fn to_json(v: &Value, o: &JsonOpts) -> Result<Text, String> {
    let mut b = TextBuf::new();
    write(&mut b, v, o, 0)?;
    Ok(b.finish())
}

fn newline(b: &mut TextBuf, o: &JsonOpts, depth: usize) {
    if let Some(ind) = o.indent {
        b.push_char('\n');
        for _ in 0..depth {
            b.push_str(ind);
        }
    }
}

fn write(b: &mut TextBuf, v: &Value, o: &JsonOpts, depth: usize) -> Result<(), String> {
    if depth > 100 {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    match v {
        Value::Nil => b.push_str("null"),
        Value::Bool(x, m) => b.push_marked(if *x { "true" } else { "false" }, m.as_ref()),
        Value::Int(i, m) | Value::Int64(i, m) => b.push_marked(&i.to_string(), m.as_ref()),
        Value::Float(f, m) => match json_float(*f) {
            Some(s) => b.push_marked(&s, m.as_ref()),
            None => {
                return Err(format!(
                    "json: unsupported value: {}",
                    super::gofmt::float_v(*f)
                ));
            }
        },
        Value::Str(t) => write_string(b, t, o.escape_html),
        Value::Unknown(w) => {
            b.push_char('"');
            let s = b.len();
            b.push_str(UNKNOWN_TEXT);
            let e = b.len();
            b.add_unknown(s..e, w.clone());
            b.push_char('"');
        }
        Value::List(l) => {
            if l.0.nil {
                b.push_str("null");
                return Ok(());
            }
            if l.is_empty() {
                b.push_str("[]");
                return Ok(());
            }
            b.push_char('[');
            for (i, it) in l.items().iter().enumerate() {
                if i > 0 {
                    b.push_char(',');
                }
                newline(b, o, depth + 1);
                write(b, it, o, depth + 1)?;
            }
            newline(b, o, depth);
            b.push_char(']');
        }
        Value::Map(m) => {
            if m.is_nil() {
                b.push_str("null");
                return Ok(());
            }
            let entries = m.entries();
            if entries.is_empty() {
                b.push_str("{}");
                return Ok(());
            }
            b.push_char('{');
            for (i, (k, it)) in entries.iter().enumerate() {
                if i > 0 {
                    b.push_char(',');
                }
                newline(b, o, depth + 1);
                write_string(b, &Text::marked(k.clone(), m.key_mark(k)), o.escape_html);
                b.push_char(':');
                if o.indent.is_some() {
                    b.push_char(' ');
                }
                write(b, it, o, depth + 1)?;
            }
            newline(b, o, depth);
            b.push_char('}');
        }
        Value::Object(ob) => match ob.to_data() {
            Some(d) => write(b, &d, o, depth + 1)?,
            None => write_string(b, &Text::plain(ob.format()), o.escape_html),
        },
    }
    Ok(())
}

fn write_string(b: &mut TextBuf, t: &Text, html: bool) {
    b.push_char('"');
    let start = b.len();
    let mut exact = true;
    let mut out = String::with_capacity(t.s.len());
    for c in t.s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => {
                out.push(c);
                continue;
            }
        }
        exact = false;
    }
    if exact {
        b.push_text(t);
    } else {
        b.push_str(&out);
        let end = b.len();
        b.mark_whole_from(start..end, t);
        for (_, w) in &t.unknown {
            b.add_unknown(start..end, w.clone());
        }
    }
    b.push_char('"');
}

// ------------------------------------------------------------------ parser

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

fn describe(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        c if c.is_ascii_graphic() || c == b' ' => format!("'{}'", c as char),
        c => format!("'\\x{:02x}'", c),
    }
}

impl<'a> P<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn eof_err() -> String {
        "unexpected end of JSON input".into()
    }
    fn value(&mut self, ctx: &str) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > 200 {
            return Err("exceeded max depth".into());
        }
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err(Self::eof_err());
        };
        let r = match c {
            b'{' => {
                self.i += 1;
                let m = Map::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        match self.s.get(self.i) {
                            None => return Err(Self::eof_err()),
                            Some(b'"') => {}
                            Some(&c) => {
                                return Err(format!(
                                    "invalid character {} looking for beginning of object key string",
                                    describe(c)
                                ));
                            }
                        }
                        let k = self.string()?;
                        self.ws();
                        match self.s.get(self.i) {
                            None => return Err(Self::eof_err()),
                            Some(b':') => self.i += 1,
                            Some(&c) => {
                                return Err(format!(
                                    "invalid character {} after object key",
                                    describe(c)
                                ));
                            }
                        }
                        let v = self.value("value")?;
                        m.insert(k, v);
                        self.ws();
                        match self.s.get(self.i) {
                            None => return Err(Self::eof_err()),
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            Some(&c) => {
                                return Err(format!(
                                    "invalid character {} after object key:value pair",
                                    describe(c)
                                ));
                            }
                        }
                    }
                }
                Value::Map(m)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value("value")?);
                        self.ws();
                        match self.s.get(self.i) {
                            None => return Err(Self::eof_err()),
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            Some(&c) => {
                                return Err(format!(
                                    "invalid character {} after array element",
                                    describe(c)
                                ));
                            }
                        }
                    }
                }
                Value::List(List::new(items))
            }
            b'"' => Value::str(self.string()?),
            b't' => self.lit("true", Value::Bool(true, None))?,
            b'f' => self.lit("false", Value::Bool(false, None))?,
            b'n' => self.lit("null", Value::Nil)?,
            b'-' | b'0'..=b'9' => self.number()?,
            c => {
                return Err(format!(
                    "invalid character {} looking for beginning of {}",
                    describe(c),
                    ctx
                ));
            }
        };
        self.depth -= 1;
        Ok(r)
    }
    fn lit(&mut self, w: &str, v: Value) -> Result<Value, String> {
        for (k, wc) in w.bytes().enumerate() {
            match self.s.get(self.i + k) {
                None => {
                    return Err(format!(
                        "invalid character ' ' in literal {} (expecting '{}')",
                        w, wc as char
                    ));
                }
                Some(&c) if c != wc => {
                    return Err(format!(
                        "invalid character {} in literal {} (expecting '{}')",
                        describe(c),
                        w,
                        wc as char
                    ));
                }
                _ => {}
            }
        }
        self.i += w.len();
        Ok(v)
    }
    fn number(&mut self) -> Result<Value, String> {
        let st = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
            )
        {
            self.i += 1;
        }
        let t = &self.src[st..self.i];
        t.parse::<f64>()
            .map(|f| Value::Float(f, None))
            .map_err(|_| format!("invalid number literal {:?}", t))
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(Self::eof_err());
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let Some(&e) = self.s.get(self.i + 1) else {
                        return Err(Self::eof_err());
                    };
                    self.i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\x08'),
                        b'f' => out.push('\x0c'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let h = self.src.get(self.i..self.i + 4).ok_or_else(Self::eof_err)?;
                            let mut u = u32::from_str_radix(h, 16).map_err(|_| {
                                "invalid character in \\u hexadecimal character escape".to_string()
                            })?;
                            self.i += 4;
                            if (0xD800..0xDC00).contains(&u)
                                && self.src.get(self.i..self.i + 2) == Some("\\u")
                                && let Some(h2) = self.src.get(self.i + 2..self.i + 6)
                                && let Ok(lo) = u32::from_str_radix(h2, 16)
                                && (0xDC00..0xE000).contains(&lo)
                            {
                                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                self.i += 6;
                            }
                            out.push(char::from_u32(u).unwrap_or('\u{FFFD}'));
                        }
                        c => {
                            return Err(format!(
                                "invalid character {} in string escape code",
                                describe(c)
                            ));
                        }
                    }
                }
                c if c < 0x20 => {
                    return Err(format!(
                        "invalid character {} in string literal",
                        describe(c)
                    ));
                }
                _ => {
                    let rest = &self.src[self.i..];
                    let ch = rest.chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }
}

/// Parses JSON text into a value (Go's json.Unmarshal into interface{}).
pub fn from_json(s: &str) -> Result<Value, String> {
    let mut p = P {
        s: s.as_bytes(),
        src: s,
        i: 0,
        depth: 0,
    };
    let v = p.value("value")?;
    p.ws();
    if let Some(&c) = p.s.get(p.i) {
        return Err(format!(
            "invalid character {} after top-level value",
            describe(c)
        ));
    }
    Ok(v)
}
