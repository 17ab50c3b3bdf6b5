//! Masterminds/semver v3.3.0: versions and constraints (`semver`, `semverCompare`).

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

use super::value::{Object, Value};

const SEMVER_RE: &str = r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const CV_RE: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

struct Res {
    version: Option<Regex>,
    constraint: Option<Regex>,
    range: Option<Regex>,
    find: Option<Regex>,
    valid: Option<Regex>,
}

fn res() -> &'static Res {
    static R: OnceLock<Res> = OnceLock::new();
    R.get_or_init(|| {
        let mk = |s: String| Regex::new(&s).ok();
        Res {
            version: mk(format!("^{}$", SEMVER_RE)),
            constraint: mk(format!(r"^\s*({})\s*({})\s*$", OPS, CV_RE)),
            range: mk(format!(r"\s*({})\s+-\s+({})\s*", CV_RE, CV_RE)),
            find: mk(format!(r"({})\s*({})", OPS, CV_RE)),
            valid: mk(format!(
                r"^(\s*({})\s*({})\s*)((?:\s+|,\s*)({})\s*({})\s*)*$",
                OPS, CV_RE, OPS, CV_RE
            )),
        }
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub metadata: String,
    pub original: String,
}

fn contains_only(s: &str, allowed: &dyn Fn(char) -> bool) -> bool {
    s.chars().all(allowed)
}

fn validate_pre(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if contains_only(part, &|c| c.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("Version segment starts with 0".into());
            }
        } else if !contains_only(part, &|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("Invalid Prerelease string".into());
        }
    }
    Ok(())
}

impl Version {
    pub fn parse(v: &str) -> Result<Version, String> {
        let Some(m) = res().version.as_ref().and_then(|r| r.captures(v)) else {
            return Err("Invalid Semantic Version".into());
        };
        let seg = |i: usize| -> Result<u64, String> {
            match m.get(i) {
                None => Ok(0),
                Some(s) => s
                    .as_str()
                    .trim_start_matches('.')
                    .parse::<u64>()
                    .map_err(|_| format!("Error parsing version segment: strconv.ParseUint: parsing {:?}: value out of range", s.as_str().trim_start_matches('.'))),
            }
        };
        let ver = Version {
            major: seg(1)?,
            minor: seg(2)?,
            patch: seg(3)?,
            pre: m.get(5).map(|x| x.as_str().to_string()).unwrap_or_default(),
            metadata: m.get(8).map(|x| x.as_str().to_string()).unwrap_or_default(),
            original: v.to_string(),
        };
        if !ver.pre.is_empty() {
            validate_pre(&ver.pre)?;
        }
        Ok(ver)
    }

    pub fn to_go_string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }

    pub fn compare(&self, o: &Version) -> Ordering {
        let c = (self.major, self.minor, self.patch).cmp(&(o.major, o.minor, o.patch));
        if c != Ordering::Equal {
            return c;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => compare_pre(&self.pre, &o.pre),
        }
    }
}

fn compare_pre(v: &str, o: &str) -> Ordering {
    let sp: Vec<&str> = v.split('.').collect();
    let op: Vec<&str> = o.split('.').collect();
    for i in 0..sp.len().max(op.len()) {
        let s = sp.get(i).copied().unwrap_or("");
        let t = op.get(i).copied().unwrap_or("");
        let d = compare_pre_part(s, t);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (_, Err(_)) => Ordering::Less,
        (Err(_), _) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

struct Constraint {
    con: Version,
    op: String,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn parse_constraint(c: &str) -> Result<Constraint, String> {
    if c.is_empty() {
        return Ok(Constraint {
            con: Version {
                major: 0,
                minor: 0,
                patch: 0,
                pre: String::new(),
                metadata: String::new(),
                original: "0.0.0".into(),
            },
            op: String::new(),
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let Some(m) = res().constraint.as_ref().and_then(|r| r.captures(c)) else {
        return Err(format!("improper constraint: {}", c));
    };
    let g = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
    let (m3, m4, m5, m6) = (g(3), g(4), g(5), g(6));
    let mut ver = g(2).to_string();
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    if is_x(m3) || m3.is_empty() {
        ver = format!("0.0.0{}", m6);
        dirty = true;
    } else if is_x(m4.trim_start_matches('.')) || m4.is_empty() {
        minor_dirty = true;
        dirty = true;
        ver = format!("{}.0.0{}", m3, m6);
    } else if is_x(m5.trim_start_matches('.')) || m5.is_empty() {
        dirty = true;
        patch_dirty = true;
        ver = format!("{}{}.0{}", m3, m4, m6);
    }
    let con = Version::parse(&ver).map_err(|_| "constraint Parser Error".to_string())?;
    Ok(Constraint {
        con,
        op: g(1).to_string(),
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

fn rewrite_range(i: &str) -> String {
    let mut o = i.to_string();
    let Some(range) = res().range.as_ref() else {
        return o;
    };
    for caps in range.captures_iter(i) {
        let whole = caps.get(0).map(|x| x.as_str()).unwrap_or("");
        let a = caps.get(1).map(|x| x.as_str()).unwrap_or("");
        let b = caps.get(11).map(|x| x.as_str()).unwrap_or("");
        o = o.replacen(whole, &format!(">= {}, <= {} ", a, b), 1);
    }
    o
}

/// Parsed constraints: OR of ANDs.
pub struct Constraints(Vec<Vec<Constraint>>);

impl Constraints {
    pub fn parse(c: &str) -> Result<Constraints, String> {
        let c = rewrite_range(c);
        let mut or = Vec::new();
        for v in c.split("||") {
            let (Some(valid), Some(find)) = (res().valid.as_ref(), res().find.as_ref()) else {
                return Err(format!("improper constraint: {}", v));
            };
            if !valid.is_match(v) {
                return Err(format!("improper constraint: {}", v));
            }
            let mut cs: Vec<&str> = find.find_iter(v).map(|m| m.as_str()).collect();
            if cs.is_empty() {
                cs.push(v);
            }
            let mut and = Vec::new();
            for s in cs {
                and.push(parse_constraint(s)?);
            }
            or.push(and);
        }
        Ok(Constraints(or))
    }

    pub fn check(&self, v: &Version) -> bool {
        self.0.iter().any(|and| and.iter().all(|c| check(v, c)))
    }
}

fn check(v: &Version, c: &Constraint) -> bool {
    let pre_block = !v.pre.is_empty() && c.con.pre.is_empty();
    match c.op.as_str() {
        "" | "=" => {
            if pre_block {
                return false;
            }
            if c.dirty {
                return tilde(v, c);
            }
            v.compare(&c.con) == Ordering::Equal
        }
        "!=" => {
            if c.dirty {
                if pre_block {
                    return false;
                }
                if c.con.major != v.major {
                    return true;
                }
                if c.con.minor != v.minor && !c.minor_dirty {
                    return true;
                } else if c.minor_dirty {
                    return false;
                } else if c.con.patch != v.patch && !c.patch_dirty {
                    return true;
                } else if c.patch_dirty {
                    if !v.pre.is_empty() || !c.con.pre.is_empty() {
                        return compare_pre(&v.pre, &c.con.pre) != Ordering::Equal;
                    }
                    return false;
                }
            }
            v.compare(&c.con) != Ordering::Equal
        }
        ">" => {
            if pre_block {
                return false;
            }
            if !c.dirty {
                return v.compare(&c.con) == Ordering::Greater;
            }
            if v.major > c.con.major {
                true
            } else if v.major < c.con.major || c.minor_dirty {
                false
            } else if c.patch_dirty {
                v.minor > c.con.minor
            } else {
                v.compare(&c.con) == Ordering::Greater
            }
        }
        "<" => !pre_block && v.compare(&c.con) == Ordering::Less,
        ">=" | "=>" => !pre_block && v.compare(&c.con) != Ordering::Less,
        "<=" | "=<" => {
            if pre_block {
                return false;
            }
            if !c.dirty {
                return v.compare(&c.con) != Ordering::Greater;
            }
            if v.major > c.con.major {
                false
            } else {
                !(v.major == c.con.major && v.minor > c.con.minor && !c.minor_dirty)
            }
        }
        "~" | "~>" => !pre_block && tilde(v, c),
        "^" => {
            if pre_block || v.compare(&c.con) == Ordering::Less {
                return false;
            }
            if c.con.major > 0 || c.minor_dirty {
                return v.major == c.con.major;
            }
            if c.con.major == 0 && v.major > 0 {
                return false;
            }
            if c.con.minor > 0 || c.patch_dirty {
                return v.minor == c.con.minor;
            }
            if c.con.minor == 0 && v.minor > 0 {
                return false;
            }
            c.con.patch == v.patch
        }
        _ => false,
    }
}

fn tilde(v: &Version, c: &Constraint) -> bool {
    if !v.pre.is_empty() && c.con.pre.is_empty() {
        return false;
    }
    if v.compare(&c.con) == Ordering::Less {
        return false;
    }
    if c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0 && !c.minor_dirty && !c.patch_dirty
    {
        return true;
    }
    if v.major != c.con.major {
        return false;
    }
    if v.minor != c.con.minor && !c.minor_dirty {
        return false;
    }
    true
}

/// `semverCompare constraint version`.
pub fn semver_compare(constraint: &str, version: &str) -> Result<bool, String> {
    let c = Constraints::parse(constraint)?;
    let v = Version::parse(version)?;
    Ok(c.check(&v))
}

/// `*semver.Version` as a template object.
#[derive(Debug)]
pub struct VersionObj(pub Version);

impl Object for VersionObj {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn kind(&self) -> &'static str {
        "ptr"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Major"
                | "Minor"
                | "Patch"
                | "Prerelease"
                | "Metadata"
                | "Original"
                | "String"
                | "Compare"
                | "LessThan"
                | "GreaterThan"
                | "Equal"
                | "IncMajor"
                | "IncMinor"
                | "IncPatch"
        )
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let v = &self.0;
        let other = || -> Result<Version, String> {
            match args.first() {
                Some(Value::Object(o)) => match o.as_any().downcast_ref::<VersionObj>() {
                    Some(vo) => Ok(vo.0.clone()),
                    None => Err("wrong type for value; expected *semver.Version".into()),
                },
                _ => Err(format!(
                    "wrong number of args for {}: want 1 got {}",
                    name,
                    args.len()
                )),
            }
        };
        Ok(match name {
            "Major" => Value::Int64(v.major as i64, None),
            "Minor" => Value::Int64(v.minor as i64, None),
            "Patch" => Value::Int64(v.patch as i64, None),
            "Prerelease" => Value::str(v.pre.clone()),
            "Metadata" => Value::str(v.metadata.clone()),
            "Original" => Value::str(v.original.clone()),
            "String" => Value::str(v.to_go_string()),
            "Compare" => Value::Int(
                match v.compare(&other()?) {
                    Ordering::Less => -1,
                    Ordering::Equal => 0,
                    Ordering::Greater => 1,
                },
                None,
            ),
            "LessThan" => Value::Bool(v.compare(&other()?) == Ordering::Less, None),
            "GreaterThan" => Value::Bool(v.compare(&other()?) == Ordering::Greater, None),
            "Equal" => Value::Bool(v.compare(&other()?) == Ordering::Equal, None),
            "IncMajor" | "IncMinor" | "IncPatch" => {
                let mut n = v.clone();
                match name {
                    "IncMajor" => {
                        n.major += 1;
                        n.minor = 0;
                        n.patch = 0;
                    }
                    "IncMinor" => {
                        n.minor += 1;
                        n.patch = 0;
                    }
                    _ => {
                        if n.pre.is_empty() {
                            n.patch += 1;
                        }
                    }
                }
                n.pre.clear();
                n.metadata.clear();
                n.original = n.to_go_string();
                Value::Object(std::rc::Rc::new(VersionObj(n)))
            }
            _ => {
                return Err(format!(
                    "can't evaluate field {} in type *semver.Version",
                    name
                ));
            }
        })
    }
    fn format(&self) -> String {
        self.0.to_go_string()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
