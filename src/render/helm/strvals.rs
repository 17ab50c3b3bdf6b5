//! `--set` assignments as Helm 3.17 parses them (`pkg/strvals`): `a.b=c,d[0]=e,f={x,y}`,
//! `\` escaping the next character, values typed as Helm types them (`true`/`false`, `null`,
//! decimal integers without a leading zero become int64, anything else a string), nesting
//! bounded (30 name levels, list indexes up to 65,536).

use super::template::{List, Map, Mark, Value};

const MAX_NESTED: usize = 30;
const MAX_INDEX: usize = 65_536;

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    mark: Option<&'a Mark>,
}

enum Stop {
    Char(char),
    End,
}

/// Parses `text` into `dest` (Helm's `ParseInto`); every value gets `mark`.
pub(crate) fn parse_into(text: &str, dest: &Map, mark: Option<&Mark>) -> Result<(), String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        mark,
    };
    loop {
        match p.key(dest, 0) {
            Ok(()) => continue,
            Err(None) => return Ok(()),
            Err(Some(e)) => return Err(e),
        }
    }
}

type R<T> = Result<T, Option<String>>;

impl Parser<'_> {
    /// Reads until one of `stop`; `\` escapes.
    fn until(&mut self, stop: &[char]) -> (String, Stop) {
        let mut out = String::new();
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            if stop.contains(&c) {
                return (out, Stop::Char(c));
            }
            if c == '\\' {
                match self.chars.get(self.pos) {
                    Some(&n) => {
                        self.pos += 1;
                        out.push(n);
                    }
                    None => return (out, Stop::End),
                }
            } else {
                out.push(c);
            }
        }
        (out, Stop::End)
    }

    fn typed(&self, s: &str) -> Value {
        let m = self.mark.cloned();
        if s.eq_ignore_ascii_case("true") {
            return Value::Bool(true, m);
        }
        if s.eq_ignore_ascii_case("false") {
            return Value::Bool(false, m);
        }
        if s.eq_ignore_ascii_case("null") {
            return Value::Nil;
        }
        if s == "0" {
            return Value::Int64(0, m);
        }
        if !s.is_empty()
            && !s.starts_with('0')
            && let Ok(i) = s.parse::<i64>()
            && !s.starts_with('+')
        {
            return Value::Int64(i, m);
        }
        Value::str_marked(s.to_string(), m)
    }

    fn key(&mut self, data: &Map, level: usize) -> R<()> {
        let (k, last) = self.until(&['=', '[', ',', '.']);
        match last {
            Stop::End => {
                if k.is_empty() {
                    Err(None)
                } else {
                    Err(Some(format!("key {k:?} has no value")))
                }
            }
            Stop::Char('[') => {
                let i = self.index()?;
                let list = match data.get(&k) {
                    Some(Value::List(l)) => l.items().to_vec(),
                    Some(Value::Nil) | None => Vec::new(),
                    Some(_) => {
                        return Err(Some(format!("unable to parse key: {k:?} is not a list")));
                    }
                };
                let list = self.list_item(list, i, level)?;
                set(data, &k, Value::List(List::new(list)));
                Ok(())
            }
            Stop::Char('=') => {
                let v = self.value()?;
                set(data, &k, v);
                Ok(())
            }
            Stop::Char(',') => {
                set(data, &k, Value::str(""));
                Err(Some(format!("key {k:?} has no value (cannot end with ,)")))
            }
            Stop::Char(_) => {
                let level = level + 1;
                if level > MAX_NESTED {
                    return Err(Some(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED}"
                    )));
                }
                let inner = match data.get(&k) {
                    Some(Value::Map(m)) => m,
                    None => Map::new(),
                    Some(_) => {
                        return Err(Some(format!("unable to parse key: {k:?} is not a map")));
                    }
                };
                let r = self.key(&inner, level);
                if r.is_ok() && inner.is_empty() {
                    return Err(Some(format!("key map {k:?} has no value")));
                }
                if !inner.is_empty() {
                    set(data, &k, Value::Map(inner));
                }
                r
            }
        }
    }

    /// After `=`: `{a,b}` is a list, anything else one value up to `,`.
    fn value(&mut self) -> R<Value> {
        match self.chars.get(self.pos) {
            None => Ok(Value::str("")),
            Some('{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    let (s, last) = self.until(&[',', '}']);
                    match last {
                        Stop::End => return Err(Some("list must terminate with '}'".into())),
                        Stop::Char('}') => {
                            if self.chars.get(self.pos) == Some(&',') {
                                self.pos += 1;
                            }
                            items.push(self.typed(&s));
                            return Ok(Value::List(List::new(items)));
                        }
                        Stop::Char(_) => items.push(self.typed(&s)),
                    }
                }
            }
            Some(_) => {
                let (s, _) = self.until(&[',']);
                Ok(self.typed(&s))
            }
        }
    }

    fn index(&mut self) -> R<usize> {
        let (s, last) = self.until(&[']']);
        if matches!(last, Stop::End) {
            return Err(Some("error parsing index: unexpected end".into()));
        }
        let i: i64 = s
            .parse()
            .map_err(|_| Some(format!("error parsing index: invalid index {s:?}")))?;
        if i < 0 {
            return Err(Some(format!("negative {i} index not allowed")));
        }
        let i = i as usize;
        if i > MAX_INDEX {
            return Err(Some(format!(
                "index of {i} is greater than maximum supported index of {MAX_INDEX}"
            )));
        }
        Ok(i)
    }

    fn list_item(&mut self, mut list: Vec<Value>, i: usize, level: usize) -> R<Vec<Value>> {
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return Err(Some(format!(
                "unexpected data at end of array index: {k:?}"
            )));
        }
        if list.len() <= i {
            list.resize(i + 1, Value::Nil);
        }
        match last {
            Stop::End => Err(None),
            Stop::Char('=') => {
                list[i] = self.value()?;
                Ok(list)
            }
            Stop::Char('[') => {
                let next = self.index()?;
                let inner = match &list[i] {
                    Value::List(l) => l.items().to_vec(),
                    _ => Vec::new(),
                };
                list[i] = Value::List(List::new(self.list_item(inner, next, level)?));
                Ok(list)
            }
            Stop::Char(_) => {
                let inner = match &list[i] {
                    Value::Map(m) => m.clone(),
                    _ => Map::new(),
                };
                self.key(&inner, level)?;
                list[i] = Value::Map(inner);
                Ok(list)
            }
        }
    }
}

fn set(data: &Map, key: &str, v: Value) {
    if !key.is_empty() {
        data.insert(key, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::helm::template::json;

    fn parse(s: &str) -> Result<String, String> {
        let m = Map::new();
        parse_into(s, &m, None)?;
        let opts = json::JsonOpts {
            escape_html: false,
            indent: None,
        };
        Ok(json::to_json(&Value::Map(m), &opts)?.s)
    }

    #[test]
    fn helm_set_forms() {
        assert_eq!(parse("a=b").unwrap(), r#"{"a":"b"}"#);
        assert_eq!(parse("a.b=1,c=true").unwrap(), r#"{"a":{"b":1},"c":true}"#);
        assert_eq!(parse("a=012").unwrap(), r#"{"a":"012"}"#);
        assert_eq!(parse("a={x,y}").unwrap(), r#"{"a":["x","y"]}"#);
        assert_eq!(parse("a[1]=x").unwrap(), r#"{"a":[null,"x"]}"#);
        assert_eq!(parse("a[0].b=x").unwrap(), r#"{"a":[{"b":"x"}]}"#);
        assert_eq!(parse(r"a\.b=c\,d").unwrap(), r#"{"a.b":"c,d"}"#);
        assert_eq!(parse("a=null").unwrap(), r#"{"a":null}"#);
        assert_eq!(parse("a=").unwrap(), r#"{"a":""}"#);
        assert!(parse("a").is_err());
        // As Helm: a dangling `.` sets nothing and is no error; a dangling `,` is.
        assert_eq!(parse("a.").unwrap(), "{}");
        assert!(parse("a,").is_err());
        assert!(parse("a[-1]=x").is_err());
        assert!(parse("a[99999999]=x").is_err());
        assert!(parse(&"a.".repeat(40)).is_err());
    }
}
