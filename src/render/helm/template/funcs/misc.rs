//! Helm's own functions, semver, regular expressions, dates, URLs, paths, and the generators
//! whose values only exist at install time (Unknown).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use regex::Regex;

use super::super::semver::{Version, VersionObj, semver_compare};
use super::super::value::{List, ListTy, Map, Object, Text, TextBuf, Value};
use super::Host;
use super::math::to_int64;
use super::{Call, FR, FnErr, FuncDef, P, U, f, text_of};

fn unknown(why: &str) -> FR {
    Ok(Value::unknown(why))
}

thread_local! {
    static RE_CACHE: RefCell<HashMap<String, Result<Rc<Regex>, String>>> = RefCell::new(HashMap::new());
}

fn compile(re: &str) -> Result<Rc<Regex>, String> {
    RE_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(r) = c.get(re) {
            return r.clone();
        }
        let r = regex::RegexBuilder::new(re)
            .size_limit(1 << 22)
            .build()
            .map(Rc::new)
            .map_err(|e| go_regex_error(re, &e.to_string()));
        if c.len() > 1000 {
            c.clear();
        }
        c.insert(re.to_string(), r.clone());
        r
    })
}

/// Go's regexp/syntax error text for a pattern Rust's regex rejected.
fn go_regex_error(pat: &str, rust: &str) -> String {
    let last = rust
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .trim_start_matches("error: ");
    let (code, expr) = if last.contains("unclosed group") {
        ("missing closing )", pat.to_string())
    } else if last.contains("unopened group") {
        ("unexpected )", pat.to_string())
    } else if last.contains("unclosed character class") {
        (
            "missing closing ]",
            pat[pat.rfind('[').unwrap_or(0)..].to_string(),
        )
    } else if last.contains("repetition operator missing expression") {
        let op = pat
            .chars()
            .find(|c| matches!(c, '*' | '+' | '?' | '{'))
            .unwrap_or('*');
        ("missing argument to repetition operator", op.to_string())
    } else if last.contains("escape") {
        let i = pat.find('\\').unwrap_or(0);
        (
            "invalid escape sequence",
            pat[i..(i + 2).min(pat.len())].to_string(),
        )
    } else {
        ("invalid syntax", pat.to_string())
    };
    format!("error parsing regexp: {}: `{}`", code, expr)
}

fn go_quote_re(s: &str) -> String {
    if !s.contains('`') && s.chars().all(|c| c == '\t' || !c.is_control()) {
        format!("`{}`", s)
    } else {
        super::super::gofmt::quote(s)
    }
}

fn must_compile(re: &str) -> Result<Rc<Regex>, FnErr> {
    compile(re).map_err(|e| FnErr::Msg(format!("regexp: Compile({}): {}", go_quote_re(re), e)))
}

fn find_all(re: &Regex, s: &Text, n: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for m in re.find_iter(&s.s) {
        if n >= 0 && out.len() as i64 >= n {
            break;
        }
        out.push(Value::text(s.slice(m.start()..m.end())));
    }
    out
}

fn split(re: &Regex, s: &Text, n: i64) -> Vec<Value> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && s.s.is_empty() {
        return vec![Value::str("")];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for m in re.find_iter(&s.s) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(Value::text(s.slice(beg..end)));
        }
        beg = m.end();
    }
    if end != s.s.len() {
        out.push(Value::text(s.slice(beg..s.s.len())));
    }
    out
}

fn replace_all(re: &Regex, s: &Text, repl: &Text, literal: bool) -> Text {
    let mut b = TextBuf::new();
    let mut last = 0;
    for caps in re.captures_iter(&s.s) {
        let Some(m) = caps.get(0) else { continue };
        b.push_slice(s, last..m.start());
        let start = b.len();
        if literal {
            b.push_text(repl);
        } else {
            let mut dst = String::new();
            caps.expand(&repl.s, &mut dst);
            b.push_str(&dst);
            let end = b.len();
            b.mark_whole_from(start..end, repl);
        }
        last = m.end();
    }
    b.push_slice(s, last..s.s.len());
    b.finish()
}

pub(super) fn defs() -> Vec<FuncDef> {
    vec![
        f!("hello", [], None, Prop, |_, _| Ok(Value::str("Hello!"))),
        // Helm
        f!("include", [Str, Any], None, Own, |ex, c| {
            if let Value::Unknown(w) = c.v(0) {
                return Ok(Value::Unknown(w.clone()));
            }
            let name = c.st(0);
            let dot = c.v(1).clone();
            ex.include(&name, dot)
        }),
        f!("tpl", [Str, Any], None, Prop, |ex, c| {
            let t = c.s(0);
            let dot = c.v(1).clone();
            ex.tpl(&t, dot)
        }),
        f!("required", [Str, Any], None, Own, |ex, c| match c.v(1) {
            Value::Unknown(w) => Ok(Value::Unknown(w.clone())),
            Value::Nil => required_missing(ex, c),
            Value::Str(t) if t.s.is_empty() => required_missing(ex, c),
            v => Ok(v.clone()),
        }),
        f!("fail", [Str], None, Own, |_, c| Err(FnErr::Fail(
            text_of(c.v(0)).s
        ))),
        f!("lookup", [Str, Str, Str, Str], None, Own, |_, _| Ok(
            Value::Map(Map::new())
        )),
        f!("getHostByName", [Str], None, Prop, |_, _| unknown(
            "getHostByName: DNS lookup at install time"
        )),
        // semver
        f!(
            "semver",
            [Str],
            None,
            Prop,
            |_, c| match Version::parse(&c.st(0)) {
                Ok(v) => Ok(Value::Object(Rc::new(VersionObj(v)))),
                Err(e) => Err(FnErr::Msg(e)),
            }
        ),
        f!("semverCompare", [Str, Str], None, Prop, |_, c| {
            semver_compare(&c.st(0), &c.st(1))
                .map(|b| Value::Bool(b, None))
                .map_err(FnErr::Msg)
        }),
        // regex
        f!("regexMatch", [Str, Str], None, Prop, |_, c| {
            Ok(Value::Bool(
                compile(&c.st(0))
                    .map(|r| r.is_match(&c.st(1)))
                    .unwrap_or(false),
                None,
            ))
        }),
        f!("mustRegexMatch", [Str, Str], None, Prop, |_, c| {
            compile(&c.st(0))
                .map(|r| Value::Bool(r.is_match(&c.st(1)), None))
                .map_err(FnErr::Msg)
        }),
        f!("regexFindAll", [Str, Str, Int], None, Prop, |_, c| {
            let r = must_compile(&c.st(0))?;
            Ok(Value::List(List::typed(
                find_all(&r, &c.s(1), c.i(2)),
                ListTy::Str,
            )))
        }),
        f!("mustRegexFindAll", [Str, Str, Int], None, Prop, |_, c| {
            let r = compile(&c.st(0)).map_err(FnErr::Msg)?;
            Ok(Value::List(List::typed(
                find_all(&r, &c.s(1), c.i(2)),
                ListTy::Str,
            )))
        }),
        f!("regexFind", [Str, Str], None, Prop, |_, c| {
            let r = must_compile(&c.st(0))?;
            let s = c.s(1);
            Ok(Value::text(
                r.find(&s.s)
                    .map(|m| s.slice(m.start()..m.end()))
                    .unwrap_or_default(),
            ))
        }),
        f!("mustRegexFind", [Str, Str], None, Prop, |_, c| {
            let r = compile(&c.st(0)).map_err(FnErr::Msg)?;
            let s = c.s(1);
            Ok(Value::text(
                r.find(&s.s)
                    .map(|m| s.slice(m.start()..m.end()))
                    .unwrap_or_default(),
            ))
        }),
        f!("regexReplaceAll", [Str, Str, Str], None, Text, |_, c| {
            let r = must_compile(&c.st(0))?;
            Ok(Value::text(replace_all(&r, &c.s(1), &c.s(2), false)))
        }),
        f!(
            "mustRegexReplaceAll",
            [Str, Str, Str],
            None,
            Text,
            |_, c| {
                let r = compile(&c.st(0)).map_err(FnErr::Msg)?;
                Ok(Value::text(replace_all(&r, &c.s(1), &c.s(2), false)))
            }
        ),
        f!(
            "regexReplaceAllLiteral",
            [Str, Str, Str],
            None,
            Text,
            |_, c| {
                let r = must_compile(&c.st(0))?;
                Ok(Value::text(replace_all(&r, &c.s(1), &c.s(2), true)))
            }
        ),
        f!(
            "mustRegexReplaceAllLiteral",
            [Str, Str, Str],
            None,
            Text,
            |_, c| {
                let r = compile(&c.st(0)).map_err(FnErr::Msg)?;
                Ok(Value::text(replace_all(&r, &c.s(1), &c.s(2), true)))
            }
        ),
        f!("regexSplit", [Str, Str, Int], None, Prop, |_, c| {
            let r = must_compile(&c.st(0))?;
            Ok(Value::List(List::typed(
                split(&r, &c.s(1), c.i(2)),
                ListTy::Str,
            )))
        }),
        f!("mustRegexSplit", [Str, Str, Int], None, Prop, |_, c| {
            let r = compile(&c.st(0)).map_err(FnErr::Msg)?;
            Ok(Value::List(List::typed(
                split(&r, &c.s(1), c.i(2)),
                ListTy::Str,
            )))
        }),
        f!("regexQuoteMeta", [Str], None, Prop, |_, c| Ok(Value::str(
            regex::escape(&c.st(0))
        ))),
        // generators: values made at install time
        f!("randAlphaNum", [Int], None, Prop, |_, _| unknown(
            "randAlphaNum: random value"
        )),
        f!("randAlpha", [Int], None, Prop, |_, _| unknown(
            "randAlpha: random value"
        )),
        f!("randAscii", [Int], None, Prop, |_, _| unknown(
            "randAscii: random value"
        )),
        f!("randNumeric", [Int], None, Prop, |_, _| unknown(
            "randNumeric: random value"
        )),
        f!("randBytes", [Int], None, Prop, |_, _| unknown(
            "randBytes: random value"
        )),
        f!("uuidv4", [], None, Prop, |_, _| unknown(
            "uuidv4: random value"
        )),
        f!("bcrypt", [Str], None, Prop, |_, _| unknown(
            "bcrypt: random salt"
        )),
        f!("htpasswd", [Str, Str], None, Prop, |_, _| unknown(
            "htpasswd: random salt"
        )),
        f!("genPrivateKey", [Str], None, Prop, |_, _| unknown(
            "genPrivateKey: generated key"
        )),
        f!(
            "derivePassword",
            [Int, Str, Str, Str, Str],
            None,
            Prop,
            |_, _| unknown("derivePassword: derived secret")
        ),
        f!("buildCustomCert", [Str, Str], None, Prop, |_, c| {
            build_custom_cert(&c.s(0), &c.s(1))
        }),
        f!("genCA", [Str, Int], None, Prop, |_, _| unknown(
            "genCA: generated certificate"
        )),
        f!("genCAWithKey", [Str, Int, Str], None, Prop, |_, _| unknown(
            "genCAWithKey: generated certificate"
        )),
        f!(
            "genSelfSignedCert",
            [Str, List, List, Int],
            None,
            Prop,
            |_, _| unknown("genSelfSignedCert: generated certificate")
        ),
        f!(
            "genSelfSignedCertWithKey",
            [Str, List, List, Int, Str],
            None,
            Prop,
            |_, _| unknown("genSelfSignedCertWithKey: generated certificate")
        ),
        f!(
            "genSignedCert",
            [Str, List, List, Int, Any],
            None,
            Prop,
            |_, _| unknown("genSignedCert: generated certificate")
        ),
        f!(
            "genSignedCertWithKey",
            [Str, List, List, Int, Any, Str],
            None,
            Prop,
            |_, _| unknown("genSignedCertWithKey: generated certificate")
        ),
        f!("encryptAES", [Str, Str], None, Prop, |_, _| unknown(
            "encryptAES: random IV"
        )),
        f!("decryptAES", [Str, Str], None, Prop, |_, _| unknown(
            "decryptAES: not evaluated"
        )),
        // dates: deterministic, UTC; `now` is unknown
        f!("now", [], None, Prop, |_, _| unknown("now: current time")),
        f!("date", [Str, Any], None, Prop, |_, c| date_fmt(
            &c.st(0),
            c.v(1)
        )),
        f!("dateInZone", [Str, Any, Str], None, Prop, |_, c| date_fmt(
            &c.st(0),
            c.v(1)
        )),
        f!(
            "date_in_zone",
            [Str, Any, Str],
            None,
            Prop,
            |_, c| date_fmt(&c.st(0), c.v(1))
        ),
        f!("htmlDate", [Any], None, Prop, |_, c| date_fmt(
            "2006-01-02",
            c.v(0)
        )),
        f!("htmlDateInZone", [Any, Str], None, Prop, |_, c| date_fmt(
            "2006-01-02",
            c.v(0)
        )),
        f!("dateModify", [Str, Any], None, Prop, |_, c| date_modify(
            &c.st(0),
            c.v(1),
            false
        )),
        f!("date_modify", [Str, Any], None, Prop, |_, c| date_modify(
            &c.st(0),
            c.v(1),
            false
        )),
        f!(
            "mustDateModify",
            [Str, Any],
            None,
            Prop,
            |_, c| date_modify(&c.st(0), c.v(1), true)
        ),
        f!("must_date_modify", [Str, Any], None, Prop, |_, c| {
            date_modify(&c.st(0), c.v(1), true)
        }),
        f!("toDate", [Str, Str], None, Prop, |_, c| Ok(parse_date(
            &c.st(0),
            &c.st(1)
        )
        .map(time_value)
        .unwrap_or_else(zero_time))),
        f!("mustToDate", [Str, Str], None, Prop, |_, c| {
            parse_date_err(&c.st(0), &c.st(1))
                .map(time_value)
                .map_err(|detail| {
                    FnErr::Msg(format!(
                        "parsing time {:?} as {:?}: {}",
                        c.st(1),
                        c.st(0),
                        detail
                    ))
                })
        }),
        f!("ago", [Any], None, Prop, |_, _| unknown(
            "ago: depends on the current time"
        )),
        f!("duration", [Any], None, Prop, |_, c| {
            let n: i64 = match c.v(0) {
                Value::Str(t) => t.s.parse().unwrap_or(0),
                Value::Int64(i, _) => *i,
                _ => 0,
            };
            Ok(Value::str(go_duration(n as i128 * 1_000_000_000)))
        }),
        f!("durationRound", [Any], None, Prop, |_, c| Ok(Value::str(
            duration_round(c.v(0))
        ))),
        f!(
            "unixEpoch",
            [Any],
            None,
            Prop,
            |_, c| match time_of(c.v(0)) {
                Some(t) => Ok(Value::str(t.secs.to_string())),
                None => Ok(Value::str("0")),
            }
        ),
        // URLs
        f!("urlParse", [Str], None, Prop, |_, c| url_parse(&c.st(0))),
        f!("urlJoin", [Map], None, Prop, |_, c| url_join(&c.map(0))),
        // paths
        f!("base", [Str], None, Prop, |_, c| Ok(Value::str(path_base(
            &c.st(0)
        )))),
        f!("dir", [Str], None, Prop, |_, c| Ok(Value::str(path_dir(
            &c.st(0)
        )))),
        f!("clean", [Str], None, Prop, |_, c| Ok(Value::str(
            path_clean(&c.st(0))
        ))),
        f!("ext", [Str], None, Prop, |_, c| Ok(Value::str(path_ext(
            &c.st(0)
        )))),
        f!("isAbs", [Str], None, Prop, |_, c| Ok(Value::Bool(
            c.st(0).starts_with('/'),
            None
        ))),
        f!("osBase", [Str], None, Prop, |_, c| Ok(Value::str(
            path_base(&c.st(0))
        ))),
        f!("osDir", [Str], None, Prop, |_, c| Ok(Value::str(path_dir(
            &c.st(0)
        )))),
        f!("osClean", [Str], None, Prop, |_, c| Ok(Value::str(
            path_clean(&c.st(0))
        ))),
        f!("osExt", [Str], None, Prop, |_, c| Ok(Value::str(path_ext(
            &c.st(0)
        )))),
        f!("osIsAbs", [Str], None, Prop, |_, c| Ok(Value::Bool(
            c.st(0).starts_with('/'),
            None
        ))),
    ]
}

/// Sprig's buildCustomCert: the decoded PEM texts of a supplied certificate and key (the
/// x509/PKCS#1 parse is reduced to a PEM block check).
fn build_custom_cert(cert: &Text, key: &Text) -> FR {
    use base64::Engine as _;
    let dec = |t: &Text| {
        base64::engine::general_purpose::STANDARD
            .decode(t.s.as_bytes())
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let Some(c) = dec(cert) else {
        return Err(FnErr::Msg("unable to decode base64 certificate".into()));
    };
    let Some(k) = dec(key) else {
        return Err(FnErr::Msg("unable to decode base64 private key".into()));
    };
    let is_pem = |s: &str| s.contains("-----BEGIN ") && s.contains("-----END ");
    if !is_pem(&c) {
        return Err(FnErr::Msg("unable to decode certificate".into()));
    }
    if !is_pem(&k) {
        return Err(FnErr::Msg("unable to decode key".into()));
    }
    let m = Map::new();
    m.insert("Cert", Value::text(super::strings::whole(cert, c)));
    m.insert("Key", Value::text(super::strings::whole(key, k)));
    Ok(Value::Map(m))
}

// ------------------------------------------------------------------ paths (Go `path`)

pub(crate) fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().map(|l| *l != "..").unwrap_or(false) {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let j = parts.join("/");
    if rooted {
        format!("/{}", j)
    } else if j.is_empty() {
        ".".into()
    } else {
        j
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    path_clean(&p[..i])
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

// ------------------------------------------------------------------ URLs (Go net/url, common forms)

fn url_parse(s: &str) -> FR {
    let m = Map::new();
    let (rest, fragment) = match s.split_once('#') {
        Some((a, b)) => (a, b.to_string()),
        None => (s, String::new()),
    };
    let (mut scheme, mut rest) = (String::new(), rest.to_string());
    if let Some(i) = rest.find(':') {
        let cand = &rest[..i];
        if !cand.is_empty()
            && cand
                .chars()
                .next()
                .map(|c| c.is_ascii_alphabetic())
                .unwrap_or(false)
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            scheme = cand.to_ascii_lowercase();
            rest = rest[i + 1..].to_string();
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (rest, String::new()),
    };
    let (mut host, mut path, mut opaque, mut userinfo) =
        (String::new(), String::new(), String::new(), String::new());
    if let Some(r) = rest.strip_prefix("//") {
        let (auth, p) = match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        };
        path = p.to_string();
        match auth.rsplit_once('@') {
            Some((u, h)) => {
                userinfo = u.to_string();
                host = h.to_string();
            }
            None => host = auth.to_string(),
        }
    } else if !scheme.is_empty() && !rest.starts_with('/') {
        opaque = rest;
    } else {
        path = rest;
    }
    let hostname = if host.starts_with('[') {
        host.trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("")
            .to_string()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    m.insert("scheme", Value::str(scheme));
    m.insert("host", Value::str(host));
    m.insert("hostname", Value::str(hostname));
    m.insert("path", Value::str(path));
    m.insert("query", Value::str(query));
    m.insert("opaque", Value::str(opaque));
    m.insert("fragment", Value::str(fragment));
    m.insert("userinfo", Value::str(userinfo));
    Ok(Value::Map(m))
}

fn url_join(d: &Map) -> FR {
    let get = |k: &str| -> Result<String, FnErr> {
        match d.get(k) {
            None => Ok(String::new()),
            Some(Value::Str(t)) => Ok(t.s.clone()),
            Some(v) => Err(FnErr::Msg(format!(
                "unable to parse {} key, must be of type string, but {} found",
                k,
                v.kind_name()
            ))),
        }
    };
    let (scheme, host, path, query, opaque, fragment, userinfo) = (
        get("scheme")?,
        get("host")?,
        get("path")?,
        get("query")?,
        get("opaque")?,
        get("fragment")?,
        get("userinfo")?,
    );
    let mut s = String::new();
    if !scheme.is_empty() {
        s.push_str(&scheme);
        s.push(':');
    }
    if !opaque.is_empty() {
        s.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !userinfo.is_empty() {
            if !host.is_empty() || !path.is_empty() || !userinfo.is_empty() {
                s.push_str("//");
            }
            if !userinfo.is_empty() {
                s.push_str(&userinfo);
                s.push('@');
            }
            s.push_str(&host);
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            s.push('/');
        }
        s.push_str(&path);
    }
    if !query.is_empty() {
        s.push('?');
        s.push_str(&query);
    }
    if !fragment.is_empty() {
        s.push('#');
        s.push_str(&fragment);
    }
    Ok(Value::str(s))
}

// ------------------------------------------------------------------ time

/// A `time.Time` (UTC).
#[derive(Debug, Clone, Copy)]
pub struct TimeObj {
    pub secs: i64,
    pub nanos: u32,
}

impl Object for TimeObj {
    fn type_name(&self) -> String {
        "time.Time".into()
    }
    fn field(&self, _: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(name, "Unix" | "Year" | "Format" | "UTC")
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match name {
            "Unix" => Ok(Value::Int64(self.secs, None)),
            "Year" => Ok(Value::Int(civil(self.secs).0, None)),
            "UTC" => Ok(time_value(*self)),
            "Format" => Ok(Value::str(format_time(
                &text_of(args.first().unwrap_or(&Value::Nil)).s,
                *self,
            ))),
            _ => Err(format!("can't evaluate field {} in type time.Time", name)),
        }
    }
    fn format(&self) -> String {
        format_time("2006-01-02 15:04:05.999999999 -0700 MST", *self)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn time_value(t: TimeObj) -> Value {
    Value::Object(Rc::new(t))
}

fn zero_time() -> Value {
    time_value(TimeObj {
        secs: -62135596800,
        nanos: 0,
    })
}

fn time_of(v: &Value) -> Option<TimeObj> {
    match v {
        Value::Object(o) => o.as_any().downcast_ref::<TimeObj>().copied(),
        Value::Int(i, _) | Value::Int64(i, _) => Some(TimeObj { secs: *i, nanos: 0 }),
        _ => None,
    }
}

fn date_fmt(layout: &str, v: &Value) -> FR {
    let t = time_of(v).unwrap_or(TimeObj { secs: 0, nanos: 0 });
    Ok(Value::str(format_time(layout, t)))
}

fn date_modify(m: &str, v: &Value, must: bool) -> FR {
    let t = time_of(v).unwrap_or(TimeObj { secs: 0, nanos: 0 });
    match parse_duration(m) {
        Some(ns) => {
            let total = t.secs as i128 * 1_000_000_000 + t.nanos as i128 + ns;
            Ok(time_value(TimeObj {
                secs: total.div_euclid(1_000_000_000) as i64,
                nanos: total.rem_euclid(1_000_000_000) as u32,
            }))
        }
        None if must => Err(FnErr::Msg(format!("time: invalid duration {:?}", m))),
        None => Ok(time_value(t)),
    }
}

fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut r) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if r == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    if r.is_empty() {
        return None;
    }
    while !r.is_empty() {
        let n = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        let num: f64 = r[..n].parse().ok()?;
        r = &r[n..];
        let u = r
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(r.len());
        let mult = match &r[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num * mult;
        r = &r[u..];
    }
    Some(if neg { -(total as i128) } else { total as i128 })
}

/// Go's `time.Duration.String()`.
pub(crate) fn go_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut s = String::new();
    if u < 1_000_000_000 {
        let (v, unit) = if u < 1000 {
            (format!("{}", u), "ns")
        } else if u < 1_000_000 {
            (frac(u, 1000), "µs")
        } else {
            (frac(u, 1_000_000), "ms")
        };
        s.push_str(&v);
        s.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let rem = u % 3_600_000_000_000;
        let m = rem / 60_000_000_000;
        let sec = rem % 60_000_000_000;
        if h > 0 {
            s.push_str(&format!("{}h", h));
        }
        if h > 0 || m > 0 {
            s.push_str(&format!("{}m", m));
        }
        s.push_str(&frac(sec, 1_000_000_000));
        s.push('s');
    }
    if neg {
        s.insert(0, '-');
    }
    s
}

fn frac(v: u128, unit: u128) -> String {
    let w = v / unit;
    let f = v % unit;
    if f == 0 {
        return w.to_string();
    }
    let digits = unit.to_string().len() - 1;
    let fs = format!("{:0width$}", f, width = digits);
    format!("{}.{}", w, fs.trim_end_matches('0'))
}

fn duration_round(v: &Value) -> String {
    let secs: i64 = match v {
        Value::Str(t) => parse_duration(&t.s)
            .map(|n| (n / 1_000_000_000) as i64)
            .unwrap_or(0),
        v => match time_of(v) {
            Some(t) if matches!(v, Value::Object(_)) => -t.secs,
            _ => to_int64(v).unwrap_or(0) / 1_000_000_000,
        },
    };
    let (neg, u) = (secs < 0, secs.unsigned_abs());
    let (year, month, day, hour, minute) =
        (365 * 86400u64, 30 * 86400u64, 86400u64, 3600u64, 60u64);
    let s = if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > hour {
        format!("{}h", u / hour)
    } else if u > minute {
        format!("{}m", u / minute)
    } else {
        format!("{}s", u)
    };
    if neg { format!("-{}", s) } else { s }
}

/// (year, month, day, hour, minute, second, weekday 0=Sunday, yday)
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    let wd = (days + 4).rem_euclid(7) as u32;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = cum[(m - 1) as usize] + d + u32::from(leap && m > 2);
    (
        y,
        m,
        d,
        (sod / 3600) as u32,
        ((sod % 3600) / 60) as u32,
        (sod % 60) as u32,
        wd,
        yday,
    )
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Go's `Time.Format` for the usual layout elements (UTC).
pub(crate) fn format_time(layout: &str, t: TimeObj) -> String {
    let (y, mo, d, h, mi, s, wd, yd) = civil(t.secs);
    let mut out = String::new();
    let mut r = layout;
    while !r.is_empty() {
        let tokens: &[(&str, &dyn Fn() -> String)] = &[
            ("January", &|| MONTHS[(mo - 1) as usize].to_string()),
            ("Jan", &|| MONTHS[(mo - 1) as usize][..3].to_string()),
            ("Monday", &|| DAYS[wd as usize].to_string()),
            ("Mon", &|| DAYS[wd as usize][..3].to_string()),
            ("MST", &|| "UTC".to_string()),
            ("2006", &|| format!("{:04}", y)),
            ("Z07:00", &|| "Z".to_string()),
            ("Z0700", &|| "Z".to_string()),
            ("-07:00", &|| "+00:00".to_string()),
            ("-0700", &|| "+0000".to_string()),
            ("-07", &|| "+00".to_string()),
            ("002", &|| format!("{:03}", yd)),
            ("01", &|| format!("{:02}", mo)),
            ("02", &|| format!("{:02}", d)),
            ("_2", &|| format!("{:>2}", d)),
            ("06", &|| format!("{:02}", y.rem_euclid(100))),
            ("15", &|| format!("{:02}", h)),
            ("03", &|| {
                format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 })
            }),
            ("04", &|| format!("{:02}", mi)),
            ("05", &|| format!("{:02}", s)),
            ("PM", &|| if h >= 12 { "PM".into() } else { "AM".into() }),
            ("pm", &|| if h >= 12 { "pm".into() } else { "am".into() }),
            ("1", &|| mo.to_string()),
            ("2", &|| d.to_string()),
            ("3", &|| (if h % 12 == 0 { 12 } else { h % 12 }).to_string()),
            ("4", &|| mi.to_string()),
            ("5", &|| s.to_string()),
        ];
        // fractional seconds .000 / .999
        if r.starts_with(".0") || r.starts_with(".9") || r.starts_with(",0") || r.starts_with(",9")
        {
            let c = r.as_bytes()[1];
            let n = r[1..].bytes().take_while(|&b| b == c).count();
            let after = r.as_bytes().get(1 + n).copied();
            if !after.map(|b| b.is_ascii_digit()).unwrap_or(false) {
                let digits = format!("{:09}", t.nanos);
                let mut f = digits[..n.min(9)].to_string();
                if c == b'9' {
                    f = f.trim_end_matches('0').to_string();
                    if !f.is_empty() {
                        out.push('.');
                        out.push_str(&f);
                    }
                } else {
                    out.push(r.as_bytes()[0] as char);
                    out.push_str(&f);
                }
                r = &r[1 + n..];
                continue;
            }
        }
        let mut matched = false;
        for (tok, f) in tokens {
            if r.starts_with(tok) {
                out.push_str(&f());
                r = &r[tok.len()..];
                matched = true;
                break;
            }
        }
        if !matched {
            let c = r.chars().next().unwrap_or(' ');
            out.push(c);
            r = &r[c.len_utf8()..];
        }
    }
    out
}

/// Parses a date with a Go layout (numeric layouts only).
fn parse_date(layout: &str, value: &str) -> Option<TimeObj> {
    parse_date_err(layout, value).ok()
}

/// Parses a date with a Go layout; `Err` is the detail of Go's `time.Parse` error.
fn parse_date_err(layout: &str, value: &str) -> Result<TimeObj, String> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (1i64, 1u32, 1u32, 0u32, 0u32, 0u32);
    let mut nanos = 0u32;
    let mut offset: i64 = 0;
    let mut l = layout;
    let mut v = value;
    let num = |v: &mut &str, max: usize| -> Option<i64> {
        let n = v
            .bytes()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n == 0 {
            return None;
        }
        let x = v[..n].parse().ok()?;
        *v = &v[n..];
        Some(x)
    };
    while !l.is_empty() {
        if let Some(rest) = l.strip_prefix("2006") {
            y = num(&mut v, 4).ok_or_else(|| cannot(v, "2006"))?;
            l = rest;
        } else if let Some(rest) = l.strip_prefix("01") {
            mo = num(&mut v, 2).ok_or_else(|| cannot(v, "01"))? as u32;
            l = rest;
        } else if let Some(rest) = l.strip_prefix("02") {
            d = num(&mut v, 2).ok_or_else(|| cannot(v, "02"))? as u32;
            l = rest;
        } else if let Some(rest) = l.strip_prefix("15") {
            h = num(&mut v, 2).ok_or_else(|| cannot(v, "15"))? as u32;
            l = rest;
        } else if let Some(rest) = l.strip_prefix("04") {
            mi = num(&mut v, 2).ok_or_else(|| cannot(v, "04"))? as u32;
            l = rest;
        } else if let Some(rest) = l.strip_prefix("05") {
            s = num(&mut v, 2).ok_or_else(|| cannot(v, "05"))? as u32;
            l = rest;
            if let Some(fr) = v.strip_prefix('.') {
                let n = fr.bytes().take_while(|b| b.is_ascii_digit()).count();
                let digits = format!("{:0<9}", &fr[..n.min(9)]);
                nanos = digits.parse().unwrap_or(0);
                v = &fr[n..];
            }
        } else if let Some(rest) = l.strip_prefix("Z07:00") {
            if let Some(r2) = v.strip_prefix('Z') {
                v = r2;
            } else {
                let sign = if v.starts_with('-') { -1 } else { 1 };
                v = v.get(1..).ok_or_else(|| cannot(v, "Z07:00"))?;
                let hh = num(&mut v, 2).ok_or_else(|| cannot(v, "Z07:00"))?;
                v = v.strip_prefix(':').ok_or_else(|| cannot(v, "Z07:00"))?;
                let mm = num(&mut v, 2).ok_or_else(|| cannot(v, "Z07:00"))?;
                offset = sign * (hh * 3600 + mm * 60);
            }
            l = rest;
        } else if let Some(rest) = l.strip_prefix("-0700") {
            let sign = if v.starts_with('-') { -1 } else { 1 };
            v = v.get(1..).ok_or_else(|| cannot(v, "-0700"))?;
            let hh = num(&mut v, 2).ok_or_else(|| cannot(v, "-0700"))?;
            let mm = num(&mut v, 2).ok_or_else(|| cannot(v, "-0700"))?;
            offset = sign * (hh * 3600 + mm * 60);
            l = rest;
        } else {
            let Some(c) = l.chars().next() else { break };
            if !v.starts_with(c) {
                return Err(cannot(v, &c.to_string()));
            }
            l = &l[c.len_utf8()..];
            v = &v[c.len_utf8()..];
        }
    }
    if !v.is_empty() {
        return Err(format!("extra text: {:?}", v));
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return Err("value out of range".into());
    }
    let secs = days_from_civil(y, mo, d) * 86400 + (h * 3600 + mi * 60 + s) as i64 - offset;
    Ok(TimeObj { secs, nanos })
}

fn cannot(v: &str, elem: &str) -> String {
    format!("cannot parse {:?} as {:?}", v, elem)
}

fn required_missing(ex: &mut dyn Host, c: &Call) -> FR {
    let message = text_of(c.v(0)).s;
    match ex.required_missing(&message) {
        Some(v) => Ok(v),
        None => Err(FnErr::Fail(message)),
    }
}

#[allow(dead_code)]
fn unused(_: &mut dyn Host, _: &mut Call) -> FR {
    let _ = P::Any;
    Ok(Value::Nil)
}
