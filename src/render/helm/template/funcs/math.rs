//! Sprig math and conversions (spf13/cast semantics, shopspring/decimal for the `*f` family).

use super::super::gofmt;
use super::super::parse::parse_go_int;
use super::super::value::{List, ListTy, Value};
use super::Host;
use super::{Call, FR, FnErr, FuncDef, P, U, f};

fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    let mut i = b.len();
    while i > 0 {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
                return s;
            }
            b'0' => found_zero = true,
            _ => return s,
        }
        i -= 1;
    }
    s
}

/// cast.ToInt64E (None when cast would fail; callers use 0).
pub(crate) fn to_int64(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i, _) | Value::Int64(i, _) => Some(*i),
        Value::Float(f, _) => Some(go_f64_to_i64(*f)),
        Value::Bool(b, _) => Some(i64::from(*b)),
        Value::Nil => Some(0),
        Value::Str(t) => {
            let s = trim_zero_decimal(&t.s);
            let (neg, u) = parse_go_int(s)?;
            if neg {
                if u <= i64::MAX as u64 + 1 {
                    Some((u as i128).wrapping_neg() as i64)
                } else {
                    None
                }
            } else if u <= i64::MAX as u64 {
                Some(u as i64)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Go's float64 → int64 conversion on amd64 (out of range gives MinInt64).
pub(crate) fn go_f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// cast.ToFloat64E.
pub(crate) fn to_float64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i, _) | Value::Int64(i, _) => Some(*i as f64),
        Value::Float(f, _) => Some(*f),
        Value::Bool(b, _) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Nil => Some(0.0),
        Value::Str(t) => parse_go_float(&t.s),
        _ => None,
    }
}

/// strconv.ParseFloat(s, 64) for the common forms.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let l = s.to_ascii_lowercase();
    match l.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            return Some(if l.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if l.contains("0x") {
        return parse_go_int(s).map(|(n, u)| if n { -(u as f64) } else { u as f64 });
    }
    if s.contains('_') || s.is_empty() {
        return None;
    }
    let body = s.trim_start_matches(['+', '-']);
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

fn i64v(i: i64) -> Value {
    Value::Int64(i, None)
}

/// A shopspring decimal from a float64 (shortest representation).
#[derive(Clone, Copy, Debug)]
struct Dec {
    m: i128,
    e: i32,
}

fn dec_from(f: f64) -> Option<Dec> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(Dec { m: 0, e: 0 });
    }
    let s = format!("{:e}", f);
    let (mant, exp) = s.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let nd = digits.len() as i32;
    let m: i128 = digits.parse().ok()?;
    Some(Dec {
        m: if neg { -m } else { m },
        e: exp - (nd - 1),
    })
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

fn align(a: Dec, b: Dec) -> Option<(i128, i128, i32)> {
    if a.e == b.e {
        return Some((a.m, b.m, a.e));
    }
    if a.e > b.e {
        let k = pow10((a.e - b.e) as u32)?;
        Some((a.m.checked_mul(k)?, b.m, b.e))
    } else {
        let k = pow10((b.e - a.e) as u32)?;
        Some((a.m, b.m.checked_mul(k)?, a.e))
    }
}

fn dec_f64(d: Dec) -> f64 {
    format!("{}e{}", d.m, d.e).parse().unwrap_or(0.0)
}

fn dec_op(a: f64, b: f64, op: char) -> f64 {
    let fallback = match op {
        '+' => a + b,
        '-' => a - b,
        '*' => a * b,
        _ => a / b,
    };
    let (Some(x), Some(y)) = (dec_from(a), dec_from(b)) else {
        return fallback;
    };
    let r = match op {
        '+' => align(x, y).and_then(|(p, q, e)| {
            Some(Dec {
                m: p.checked_add(q)?,
                e,
            })
        }),
        '-' => align(x, y).and_then(|(p, q, e)| {
            Some(Dec {
                m: p.checked_sub(q)?,
                e,
            })
        }),
        '*' => x.m.checked_mul(y.m).map(|m| Dec { m, e: x.e + y.e }),
        _ => {
            if y.m == 0 {
                return fallback;
            }
            // DivRound(y, 16): quotient rounded half away from zero to 16 decimal places
            let shift = 16 + x.e - y.e;
            let num = if shift >= 0 {
                pow10(shift as u32).and_then(|k| x.m.checked_mul(k))
            } else {
                None
            };
            num.map(|n| {
                let q = n / y.m;
                let r = n % y.m;
                let q = if (r.abs() * 2) >= y.m.abs() {
                    q + if (n < 0) != (y.m < 0) { -1 } else { 1 }
                } else {
                    q
                };
                Dec { m: q, e: -16 }
            })
        }
    };
    r.map(dec_f64).unwrap_or(fallback)
}

pub(super) fn defs() -> Vec<FuncDef> {
    vec![
        f!("atoi", [Str], None, Prop, |_, c| {
            let s = c.st(0);
            let ok = {
                let b = s.trim_start_matches(['+', '-']);
                !b.is_empty() && b.bytes().all(|x| x.is_ascii_digit()) && s.len() - b.len() <= 1
            };
            Ok(Value::Int(
                if ok { s.parse::<i64>().unwrap_or(0) } else { 0 },
                None,
            ))
        }),
        f!("int64", [Any], None, Prop, |_, c| Ok(Value::Int64(
            to_int64(c.v(0)).unwrap_or(0),
            c.v(0).mark()
        ))),
        f!("int", [Any], None, Prop, |_, c| Ok(Value::Int(
            to_int64(c.v(0)).unwrap_or(0),
            c.v(0).mark()
        ))),
        f!("float64", [Any], None, Prop, |_, c| Ok(Value::Float(
            to_float64(c.v(0)).unwrap_or(0.0),
            c.v(0).mark()
        ))),
        f!("toDecimal", [Any], None, Prop, |_, c| {
            let s = gofmt::strval(c.v(0)).s;
            Ok(i64v(i64::from_str_radix(&s, 8).unwrap_or(0)))
        }),
        f!("add1", [Any], None, Prop, |_, c| Ok(i64v(
            to_int64(c.v(0)).unwrap_or(0).wrapping_add(1)
        ))),
        f!("add", [], Some(P::Any), Prop, |_, c| {
            Ok(i64v(c.args.iter().fold(0i64, |a, b| {
                a.wrapping_add(to_int64(b).unwrap_or(0))
            })))
        }),
        f!("sub", [Any, Any], None, Prop, |_, c| {
            Ok(i64v(
                to_int64(c.v(0))
                    .unwrap_or(0)
                    .wrapping_sub(to_int64(c.v(1)).unwrap_or(0)),
            ))
        }),
        f!("div", [Any, Any], None, Prop, |_, c| {
            let b = to_int64(c.v(1)).unwrap_or(0);
            if b == 0 {
                return Err(FnErr::Msg("runtime error: integer divide by zero".into()));
            }
            Ok(i64v(to_int64(c.v(0)).unwrap_or(0).wrapping_div(b)))
        }),
        f!("mod", [Any, Any], None, Prop, |_, c| {
            let b = to_int64(c.v(1)).unwrap_or(0);
            if b == 0 {
                return Err(FnErr::Msg("runtime error: integer divide by zero".into()));
            }
            Ok(i64v(to_int64(c.v(0)).unwrap_or(0).wrapping_rem(b)))
        }),
        f!("mul", [Any], Some(P::Any), Prop, |_, c| {
            let mut v = to_int64(c.v(0)).unwrap_or(0);
            for b in c.rest(1) {
                v = v.wrapping_mul(to_int64(b).unwrap_or(0));
            }
            Ok(i64v(v))
        }),
        f!("randInt", [Int, Int], None, Prop, |_, _| Ok(
            Value::unknown("randInt: random number")
        )),
        f!("add1f", [Any], None, Prop, |_, c| Ok(Value::from(dec_op(
            to_float64(c.v(0)).unwrap_or(0.0),
            1.0,
            '+'
        )))),
        f!("addf", [], Some(P::Any), Prop, |_, c| {
            let mut a = 0.0;
            for b in &c.args {
                a = dec_op(a, to_float64(b).unwrap_or(0.0), '+');
            }
            Ok(Value::from(a))
        }),
        f!("subf", [Any], Some(P::Any), Prop, |_, c| fold_f(c, '-')),
        f!("divf", [Any], Some(P::Any), Prop, |_, c| fold_f(c, '/')),
        f!("mulf", [Any], Some(P::Any), Prop, |_, c| fold_f(c, '*')),
        f!("biggest", [Any], Some(P::Any), Prop, |_, c| Ok(i64v(
            minmax(c, true)
        ))),
        f!("max", [Any], Some(P::Any), Prop, |_, c| Ok(i64v(minmax(
            c, true
        )))),
        f!("min", [Any], Some(P::Any), Prop, |_, c| Ok(i64v(minmax(
            c, false
        )))),
        f!("maxf", [Any], Some(P::Any), Prop, |_, c| {
            let mut a = to_float64(c.v(0)).unwrap_or(0.0);
            for b in c.rest(1) {
                a = go_max(a, to_float64(b).unwrap_or(0.0));
            }
            Ok(Value::from(a))
        }),
        f!("minf", [Any], Some(P::Any), Prop, |_, c| {
            let mut a = to_float64(c.v(0)).unwrap_or(0.0);
            for b in c.rest(1) {
                a = go_min(a, to_float64(b).unwrap_or(0.0));
            }
            Ok(Value::from(a))
        }),
        f!("ceil", [Any], None, Prop, |_, c| Ok(Value::from(
            to_float64(c.v(0)).unwrap_or(0.0).ceil()
        ))),
        f!("floor", [Any], None, Prop, |_, c| Ok(Value::from(
            to_float64(c.v(0)).unwrap_or(0.0).floor()
        ))),
        f!("round", [Any, Int], Some(P::F64), Prop, |_, c| {
            let round_on = if c.args.len() > 2 { c.f(2) } else { 0.5 };
            let val = to_float64(c.v(0)).unwrap_or(0.0);
            let pow = 10f64.powf(c.i(1) as f64);
            let digit = pow * val;
            let div = digit.fract();
            let r = if div >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::from(r / pow))
        }),
        f!("until", [Int], None, Prop, |ex, c| {
            let n = c.i(0);
            let step = if n < 0 { -1 } else { 1 };
            until_step(ex, 0, n, step)
        }),
        f!(
            "untilStep",
            [Int, Int, Int],
            None,
            Prop,
            |ex, c| until_step(ex, c.i(0), c.i(1), c.i(2))
        ),
        f!("seq", [], Some(P::Int), Prop, seq),
    ]
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn fold_f(c: &Call, op: char) -> FR {
    let mut a = to_float64(c.v(0)).unwrap_or(0.0);
    for b in c.rest(1) {
        let b = to_float64(b).unwrap_or(0.0);
        if op == '/' && b == 0.0 {
            return Err(FnErr::Msg("decimal division by 0".into()));
        }
        a = dec_op(a, b, op);
    }
    Ok(Value::from(a))
}

fn minmax(c: &Call, max: bool) -> i64 {
    let mut a = to_int64(c.v(0)).unwrap_or(0);
    for b in c.rest(1) {
        let b = to_int64(b).unwrap_or(0);
        if (max && b > a) || (!max && b < a) {
            a = b;
        }
    }
    a
}

fn until_values(ex: &dyn Host, start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FnErr> {
    let mut v = Vec::new();
    let cap = ex.limits().max_range_iterations;
    let push = |i: i64, v: &mut Vec<i64>| -> Result<(), FnErr> {
        if v.len() as u64 >= cap {
            return Err(FnErr::Limit(format!("list of more than {} items", cap)));
        }
        v.push(i);
        Ok(())
    };
    if stop < start {
        if step >= 0 {
            return Ok(v);
        }
        let mut i = start;
        while i > stop {
            push(i, &mut v)?;
            i = match i.checked_add(step) {
                Some(x) => x,
                None => break,
            };
        }
        return Ok(v);
    }
    if step <= 0 {
        return Ok(v);
    }
    let mut i = start;
    while i < stop {
        push(i, &mut v)?;
        i = match i.checked_add(step) {
            Some(x) => x,
            None => break,
        };
    }
    Ok(v)
}

fn until_step(ex: &dyn Host, start: i64, stop: i64, step: i64) -> FR {
    let v = until_values(ex, start, stop, step)?;
    Ok(Value::List(List::typed(
        v.into_iter().map(|i| Value::Int(i, None)).collect(),
        ListTy::Int,
    )))
}

fn seq(ex: &mut dyn Host, c: &mut Call) -> FR {
    let p: Vec<i64> = c
        .args
        .iter()
        .map(|v| if let Value::Int(i, _) = v { *i } else { 0 })
        .collect();
    let vals = match p.len() {
        0 => return Ok(Value::str("")),
        1 => {
            let (start, end) = (1, p[0]);
            let inc = if end < start { -1 } else { 1 };
            until_values(ex, start, end.saturating_add(inc), inc)?
        }
        2 => {
            let (start, end) = (p[0], p[1]);
            let step = if end < start { -1 } else { 1 };
            until_values(ex, start, end.saturating_add(step), step)?
        }
        3 => {
            let (start, step, end) = (p[0], p[1], p[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_values(ex, start, end.saturating_add(inc), step)?
        }
        _ => return Ok(Value::str("")),
    };
    Ok(Value::str(
        vals.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" "),
    ))
}
