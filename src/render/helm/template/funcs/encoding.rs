//! toYaml/fromYaml, toJson/fromJson, toToml/fromToml, base64/base32 and hashes.

use base64::Engine as _;
use sha1::Digest as _;

use super::super::json::{JsonOpts, from_json, to_json};
use super::super::value::{List, Map, Text, Value};
use super::super::yaml;
use super::strings::whole;
use super::{FR, FnErr, FuncDef, P, U, f, text_of};

pub(crate) fn to_yaml_text(v: &Value) -> Text {
    yaml::to_yaml(v)
}

pub(crate) fn to_json_text(v: &Value) -> Result<Text, String> {
    to_json(
        v,
        &JsonOpts {
            escape_html: true,
            indent: None,
        },
    )
}

fn from_yaml_value(s: &str) -> Result<Value, String> {
    let v = yaml::load(s, &mut |_, _| None)
        .map_err(|e| format!("error converting YAML to JSON: {}", e))?;
    if let Some(f) = non_finite(&v, 0) {
        return Err(format!(
            "error converting YAML to JSON: json: unsupported value: {}",
            super::super::gofmt::float_v(f)
        ));
    }
    Ok(v)
}

fn non_finite(v: &Value, d: usize) -> Option<f64> {
    if d > 500 {
        return None;
    }
    match v {
        Value::Float(f, _) if !f.is_finite() => Some(*f),
        Value::List(l) => l.items().iter().find_map(|x| non_finite(x, d + 1)),
        Value::Map(m) => m.entries().iter().find_map(|(_, x)| non_finite(x, d + 1)),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn b32enc(data: &[u8]) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(ALPHA[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b32dec(s: &str) -> Result<Vec<u8>, String> {
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    let trimmed = s.trim_end_matches('=');
    for (i, c) in trimmed.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(format!("illegal base32 data at input byte {}", i)),
        };
        bits = (bits << 5) | v as u64;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
        }
    }
    if !s.len().is_multiple_of(8) {
        return Err(format!("illegal base32 data at input byte {}", s.len()));
    }
    Ok(out)
}

fn b64dec(s: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(s.replace(['\r', '\n'], ""))
        .map_err(|e| {
            let pos = match e {
                base64::DecodeError::InvalidByte(p, _) => p,
                base64::DecodeError::InvalidLength(l) => l,
                base64::DecodeError::InvalidLastSymbol { offset, .. } => offset,
                base64::DecodeError::InvalidPadding => s.len().saturating_sub(1),
            };
            format!("illegal base64 data at input byte {}", pos)
        })
}

fn lossy(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

pub(super) fn defs() -> Vec<FuncDef> {
    vec![
        f!("toYaml", [Any], None, Own, |_, c| Ok(Value::text(
            to_yaml_text(c.v(0))
        ))),
        f!("toYamlPretty", [Any], None, Own, |_, c| Ok(Value::text(
            yaml::to_yaml_pretty(c.v(0))
        ))),
        f!("fromYaml", [Str], None, Prop, |_, c| {
            let m = Map::new();
            match from_yaml_value(&c.st(0)) {
                Ok(Value::Map(v)) => return Ok(Value::Map(v)),
                Ok(Value::Nil) => {}
                Ok(v) => {
                    m.insert(
                        "Error",
                        Value::str(format!(
                            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                            json_kind(&v)
                        )),
                    );
                }
                Err(e) => m.insert("Error", Value::str(e)),
            }
            Ok(Value::Map(m))
        }),
        f!(
            "fromYamlArray",
            [Str],
            None,
            Prop,
            |_, c| match from_yaml_value(&c.st(0)) {
                // the top-level slice is decoded in place: capacity = length
                Ok(Value::List(l)) => Ok(Value::List(List::new(l.items().to_vec()))),
                Ok(Value::Nil) => Ok(Value::List(List::new(vec![]))),
                Ok(v) => Ok(Value::List(List::new(vec![Value::str(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                    json_kind(&v)
                ))]))),
                Err(e) => Ok(Value::List(List::new(vec![Value::str(e)]))),
            }
        ),
        f!("toJson", [Any], None, Own, |_, c| Ok(Value::text(
            to_json_text(c.v(0)).unwrap_or_default()
        ))),
        f!("mustToJson", [Any], None, Own, |_, c| to_json_text(c.v(0))
            .map(Value::text)
            .map_err(FnErr::Msg)),
        f!("toPrettyJson", [Any], None, Own, |_, c| {
            Ok(Value::text(
                to_json(
                    c.v(0),
                    &JsonOpts {
                        escape_html: true,
                        indent: Some("  "),
                    },
                )
                .unwrap_or_default(),
            ))
        }),
        f!("mustToPrettyJson", [Any], None, Own, |_, c| {
            to_json(
                c.v(0),
                &JsonOpts {
                    escape_html: true,
                    indent: Some("  "),
                },
            )
            .map(Value::text)
            .map_err(FnErr::Msg)
        }),
        f!("toRawJson", [Any], None, Own, |_, c| {
            to_json(
                c.v(0),
                &JsonOpts {
                    escape_html: false,
                    indent: None,
                },
            )
            .map(Value::text)
            .map_err(FnErr::Msg)
        }),
        f!("mustToRawJson", [Any], None, Own, |_, c| {
            to_json(
                c.v(0),
                &JsonOpts {
                    escape_html: false,
                    indent: None,
                },
            )
            .map(Value::text)
            .map_err(FnErr::Msg)
        }),
        f!("fromJson", [Str], None, Prop, |_, c| {
            let m = Map::new();
            match from_json(&c.st(0)) {
                Ok(Value::Map(v)) => return Ok(Value::Map(v)),
                Ok(Value::Nil) => {}
                Ok(v) => m.insert(
                    "Error",
                    Value::str(format!(
                        "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        json_kind(&v)
                    )),
                ),
                Err(e) => m.insert("Error", Value::str(e)),
            }
            Ok(Value::Map(m))
        }),
        f!(
            "fromJsonArray",
            [Str],
            None,
            Prop,
            |_, c| match from_json(&c.st(0)) {
                Ok(Value::List(l)) => Ok(Value::List(List::new(l.items().to_vec()))),
                Ok(Value::Nil) => Ok(Value::List(List::new(vec![]))),
                Ok(v) => Ok(Value::List(List::new(vec![Value::str(format!(
                    "json: cannot unmarshal {} into Go value of type []interface {{}}",
                    json_kind(&v)
                ))]))),
                Err(e) => Ok(Value::List(List::new(vec![Value::str(e)]))),
            }
        ),
        f!("mustFromJson", [Str], None, Prop, |_, c| from_json(
            &c.st(0)
        )
        .map_err(FnErr::Msg)),
        f!("toToml", [Any], None, Prop, |_, c| Ok(Value::str(to_toml(
            c.v(0)
        )))),
        f!("fromToml", [Str], None, Prop, |_, c| Ok(from_toml(
            &c.st(0)
        ))),
        f!("b64enc", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(
                &t,
                base64::engine::general_purpose::STANDARD.encode(t.s.as_bytes()),
            )))
        }),
        f!("b64dec", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(
                &t,
                match b64dec(&t.s) {
                    Ok(b) => lossy(b),
                    Err(e) => e,
                },
            )))
        }),
        f!("b32enc", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(&t, b32enc(t.s.as_bytes()))))
        }),
        f!("b32dec", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(
                &t,
                match b32dec(&t.s) {
                    Ok(b) => lossy(b),
                    Err(e) => e,
                },
            )))
        }),
        f!("sha1sum", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(
                &t,
                hex(&sha1::Sha1::digest(t.s.as_bytes())),
            )))
        }),
        f!("sha256sum", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(
                &t,
                hex(&sha2::Sha256::digest(t.s.as_bytes())),
            )))
        }),
        f!("sha512sum", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(
                &t,
                hex(&sha2::Sha512::digest(t.s.as_bytes())),
            )))
        }),
        f!("adler32sum", [Str], None, Prop, |_, c| {
            let t = c.s(0);
            Ok(Value::text(whole(&t, adler32(t.s.as_bytes()).to_string())))
        }),
    ]
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(..) | Value::Int(..) | Value::Int64(..) => "number",
        Value::Bool(..) => "bool",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        _ => "value",
    }
}

fn toml_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml_str(k)
    }
}

fn toml_scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(t) => toml_str(&t.s),
        Value::Bool(b, _) => b.to_string(),
        Value::Int(i, _) | Value::Int64(i, _) => i.to_string(),
        Value::Float(f, _) => {
            let s = super::super::gofmt::format_f(*f, None);
            if s.contains('.') || s.contains('e') {
                s
            } else {
                format!("{}.0", s)
            }
        }
        Value::List(l) => {
            let items: Vec<String> = l.items().iter().filter_map(toml_scalar).collect();
            format!("[{}]", items.join(", "))
        }
        _ => return None,
    })
}

/// BurntSushi/toml encoder (tables after plain keys).
fn to_toml(v: &Value) -> String {
    let mut out = String::new();
    if let Value::Map(m) = v {
        toml_table(&mut out, m, "", 0);
    }
    out
}

fn toml_table(out: &mut String, m: &Map, prefix: &str, depth: usize) {
    if depth > 50 {
        return;
    }
    let entries = m.entries();
    let ind = "  ".repeat(depth);
    for (k, v) in &entries {
        if matches!(v, Value::Map(_) | Value::Nil) {
            continue;
        }
        if let Some(s) = toml_scalar(v) {
            out.push_str(&format!("{}{} = {}\n", ind, toml_key(k), s));
        }
    }
    for (k, v) in &entries {
        if let Value::Map(sub) = v {
            let name = if prefix.is_empty() {
                toml_key(k)
            } else {
                format!("{}.{}", prefix, toml_key(k))
            };
            out.push_str(&format!("\n{}[{}]\n", "  ".repeat(depth), name));
            toml_table(out, sub, &name, depth + 1);
        }
    }
}

fn from_toml(s: &str) -> Value {
    match s.parse::<toml::Table>() {
        Ok(t) => toml_to_value(&toml::Value::Table(t), 0),
        Err(e) => {
            let m = Map::new();
            m.insert("Error", Value::str(e.to_string().trim().to_string()));
            Value::Map(m)
        }
    }
}

fn toml_to_value(v: &toml::Value, d: usize) -> Value {
    if d > 200 {
        return Value::Nil;
    }
    match v {
        toml::Value::String(s) => Value::str(s.clone()),
        toml::Value::Integer(i) => Value::Int64(*i, None),
        toml::Value::Float(f) => Value::Float(*f, None),
        toml::Value::Boolean(b) => Value::Bool(*b, None),
        toml::Value::Datetime(dt) => Value::str(dt.to_string()),
        toml::Value::Array(a) => Value::List(List::new(
            a.iter().map(|x| toml_to_value(x, d + 1)).collect(),
        )),
        toml::Value::Table(t) => {
            let m = Map::new();
            for (k, x) in t {
                m.insert(k.clone(), toml_to_value(x, d + 1));
            }
            Value::Map(m)
        }
    }
}

#[allow(dead_code)]
fn unused(v: &Value) -> Text {
    text_of(v)
}

#[allow(dead_code)]
fn unused2() -> FR {
    Ok(Value::Nil)
}
