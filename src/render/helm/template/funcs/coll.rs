//! Lists, dicts, defaults and reflection (Sprig).

use std::collections::BTreeMap;

use super::super::gofmt;
use super::super::value::{List, ListTy, Map, MapTy, Value, deep_equal};
use super::{Call, FR, FnErr, FuncDef, P, U, f, text_of};

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

fn unknown_of(vals: &[&Value]) -> Option<Value> {
    vals.iter().find_map(|v| match v {
        Value::Unknown(w) => Some(Value::Unknown(w.clone())),
        _ => None,
    })
}

/// Items of a slice argument, or Go's error for other kinds (`what`: "push", "first", …).
fn slice_items(v: &Value, what: &str) -> Result<Vec<Value>, FnErr> {
    match v {
        Value::List(l) => Ok(l.items().to_vec()),
        Value::Nil => Err(FnErr::Msg(NIL_DEREF.into())),
        Value::Object(o) => match o.to_data() {
            Some(Value::List(l)) => Ok(l.items().to_vec()),
            _ => Err(FnErr::Msg(format!("Cannot {} on type {}", what, o.kind()))),
        },
        v => Err(FnErr::Msg(format!(
            "Cannot {} on type {}",
            what,
            v.kind_name()
        ))),
    }
}

fn list_of(items: Vec<Value>) -> Value {
    Value::List(List::new(items))
}

fn map_arg_unknown(c: &Call) -> Option<Value> {
    unknown_of(&[c.v(0)])
}

pub(super) fn defs() -> Vec<FuncDef> {
    vec![
        f!("list", [], Some(P::Any), Own, |_, c| Ok(list_of(
            c.args.clone()
        ))),
        f!("tuple", [], Some(P::Any), Own, |_, c| Ok(list_of(
            c.args.clone()
        ))),
        f!("dict", [], Some(P::Any), Own, |_, c| {
            let m = Map::new();
            let mut i = 0;
            while i < c.args.len() {
                let kt = text_of(&c.args[i]);
                let v = c.args.get(i + 1).cloned().unwrap_or_else(|| Value::str(""));
                let km = if kt.marks.len() == 1 {
                    Some(kt.marks[0].1.clone())
                } else {
                    None
                };
                m.insert_marked(kt.s, km, v);
                i += 2;
            }
            Ok(Value::Map(m))
        }),
        f!("get", [Map, Str], None, Own, |_, c| {
            if let Some(u) = unknown_of(&[c.v(0), c.v(1)]) {
                return Ok(u);
            }
            Ok(c.map(0).get(&c.st(1)).unwrap_or_else(|| Value::str("")))
        }),
        f!("set", [Map, Str, Any], None, Own, |_, c| {
            if let Some(u) = unknown_of(&[c.v(0), c.v(1)]) {
                return Ok(u);
            }
            let m = c.map(0);
            if m.is_nil() {
                return Err(FnErr::Msg("assignment to entry in nil map".into()));
            }
            let kt = text_of(c.v(1));
            let km = if kt.marks.len() == 1 {
                Some(kt.marks[0].1.clone())
            } else {
                None
            };
            m.insert_marked(kt.s, km, c.v(2).clone());
            Ok(Value::Map(m))
        }),
        f!("unset", [Map, Str], None, Own, |_, c| {
            if let Some(u) = unknown_of(&[c.v(0), c.v(1)]) {
                return Ok(u);
            }
            let m = c.map(0);
            m.remove(&c.st(1));
            Ok(Value::Map(m))
        }),
        f!("hasKey", [Map, Str], None, Own, |_, c| {
            if let Some(u) = unknown_of(&[c.v(0), c.v(1)]) {
                return Ok(u);
            }
            Ok(Value::Bool(c.map(0).contains(&c.st(1)), None))
        }),
        f!("pluck", [Str], Some(P::Map), Own, |_, c| {
            let k = c.st(0);
            let mut out = Vec::new();
            for d in c.rest(1) {
                if let Value::Map(m) = d {
                    if let Some(v) = m.get(&k) {
                        out.push(v);
                    }
                } else if let Value::Unknown(w) = d {
                    out.push(Value::Unknown(w.clone()));
                }
            }
            Ok(list_of(out))
        }),
        f!("keys", [], Some(P::Map), Prop, |_, c| {
            let mut out = Vec::new();
            for d in &c.args {
                if let Value::Map(m) = d {
                    let dd = m.data.borrow();
                    for k in dd.entries.keys() {
                        out.push(Value::str_marked(k.clone(), dd.key_marks.get(k).cloned()));
                    }
                }
            }
            Ok(Value::List(List::typed(out, ListTy::Str)))
        }),
        f!("pick", [Map], Some(P::Str), Prop, |_, c| {
            let src = c.map(0);
            let m = Map::new();
            for k in c.rest(1) {
                let k = text_of(k).s;
                if let Some(v) = src.get(&k) {
                    m.insert_marked(k.clone(), src.key_mark(&k), v);
                }
            }
            Ok(Value::Map(m))
        }),
        f!("omit", [Map], Some(P::Str), Prop, |_, c| {
            let src = c.map(0);
            let omit: Vec<String> = c.rest(1).iter().map(|k| text_of(k).s).collect();
            let m = Map::new();
            for (k, v) in src.entries() {
                if !omit.contains(&k) {
                    m.insert_marked(k.clone(), src.key_mark(&k), v);
                }
            }
            Ok(Value::Map(m))
        }),
        f!("merge", [Map], Some(P::Map), Own, |_, c| merge_fn(c, false)),
        f!("mustMerge", [Map], Some(P::Map), Own, |_, c| merge_fn(
            c, false
        )),
        f!("mergeOverwrite", [Map], Some(P::Map), Own, |_, c| merge_fn(
            c, true
        )),
        f!("mustMergeOverwrite", [Map], Some(P::Map), Own, |_, c| {
            merge_fn(c, true)
        }),
        f!("values", [Map], None, Prop, |_, c| Ok(list_of(
            c.map(0).entries().into_iter().map(|(_, v)| v).collect()
        ))),
        f!("append", [Any, Any], None, Own, |_, c| push(
            c, "push", false
        )),
        f!("push", [Any, Any], None, Own, |_, c| push(c, "push", false)),
        f!("mustAppend", [Any, Any], None, Own, |_, c| push(
            c, "push", false
        )),
        f!("mustPush", [Any, Any], None, Own, |_, c| push(
            c, "push", false
        )),
        f!("prepend", [Any, Any], None, Own, |_, c| push(
            c, "prepend", true
        )),
        f!("mustPrepend", [Any, Any], None, Own, |_, c| push(
            c, "prepend", true
        )),
        f!("first", [Any], None, Own, |_, c| pick_one(
            c,
            "find first",
            true
        )),
        f!("mustFirst", [Any], None, Own, |_, c| pick_one(
            c,
            "find first",
            true
        )),
        f!("last", [Any], None, Own, |_, c| pick_one(
            c,
            "find last",
            false
        )),
        f!("mustLast", [Any], None, Own, |_, c| pick_one(
            c,
            "find last",
            false
        )),
        f!("rest", [Any], None, Own, |_, c| sub_list(
            c,
            "find rest",
            true
        )),
        f!("mustRest", [Any], None, Own, |_, c| sub_list(
            c,
            "find rest",
            true
        )),
        f!("initial", [Any], None, Own, |_, c| sub_list(
            c,
            "find initial",
            false
        )),
        f!("mustInitial", [Any], None, Own, |_, c| sub_list(
            c,
            "find initial",
            false
        )),
        f!("reverse", [Any], None, Own, |_, c| {
            if let Some(u) = map_arg_unknown(c) {
                return Ok(u);
            }
            let mut it = slice_items(c.v(0), "find reverse")?;
            it.reverse();
            Ok(list_of(it))
        }),
        f!("mustReverse", [Any], None, Own, |_, c| {
            let mut it = slice_items(c.v(0), "find reverse")?;
            it.reverse();
            Ok(list_of(it))
        }),
        f!("uniq", [Any], None, Prop, |_, c| uniq(c)),
        f!("mustUniq", [Any], None, Prop, |_, c| uniq(c)),
        f!("without", [Any], Some(P::Any), Prop, |_, c| without(c)),
        f!("mustWithout", [Any], Some(P::Any), Prop, |_, c| without(c)),
        f!("has", [Any, Any], None, Prop, |_, c| has(c)),
        f!("mustHas", [Any, Any], None, Prop, |_, c| has(c)),
        f!("slice", [Any], Some(P::Any), Prop, |_, c| slice(c)),
        f!("mustSlice", [Any], Some(P::Any), Prop, |_, c| slice(c)),
        f!("concat", [], Some(P::Any), Own, |_, c| {
            let mut out = Vec::new();
            for l in &c.args {
                match l {
                    Value::List(l) => out.extend(l.items().iter().cloned()),
                    Value::Unknown(w) => return Ok(Value::Unknown(w.clone())),
                    Value::Nil => return Err(FnErr::Msg(NIL_DEREF.into())),
                    v => {
                        return Err(FnErr::Msg(format!(
                            "Cannot concat type {} as list",
                            v.kind_name()
                        )));
                    }
                }
            }
            if c.args.is_empty() {
                return Ok(Value::List(List::nil()));
            }
            Ok(list_of(out))
        }),
        f!("dig", [], Some(P::Any), Own, dig),
        f!("chunk", [Int, Any], None, Prop, |_, c| {
            let size = c.i(0);
            let items = slice_items(c.v(1), "chunk")?;
            if size <= 0 {
                return Err(FnErr::Msg("runtime error: integer divide by zero".into()));
            }
            let out: Vec<Value> = items
                .chunks(size as usize)
                .map(|ch| list_of(ch.to_vec()))
                .collect();
            Ok(list_of(out))
        }),
        f!("mustChunk", [Int, Any], None, Prop, |_, c| {
            let size = c.i(0).max(1) as usize;
            let items = slice_items(c.v(1), "chunk")?;
            Ok(list_of(
                items.chunks(size).map(|ch| list_of(ch.to_vec())).collect(),
            ))
        }),
        f!("compact", [Any], None, Prop, |_, c| {
            let items = slice_items(c.v(0), "compact")?;
            Ok(list_of(
                items.into_iter().filter(|v| !v.is_empty_value()).collect(),
            ))
        }),
        f!("mustCompact", [Any], None, Prop, |_, c| {
            let items = slice_items(c.v(0), "compact")?;
            Ok(list_of(
                items.into_iter().filter(|v| !v.is_empty_value()).collect(),
            ))
        }),
        // defaults
        f!("default", [Any], Some(P::Any), Own, |_, c| {
            match c.args.get(1) {
                None => Ok(c.v(0).clone()),
                Some(g @ Value::Unknown(_)) => Ok(g.clone()),
                Some(g) if !g.is_empty_value() => Ok(g.clone()),
                Some(_) => Ok(c.v(0).clone()),
            }
        }),
        f!("empty", [Any], None, Own, |_, c| Ok(match c.v(0) {
            Value::Unknown(w) => Value::Unknown(w.clone()),
            v => Value::Bool(v.is_empty_value(), None),
        })),
        f!("coalesce", [], Some(P::Any), Own, |_, c| {
            for v in &c.args {
                if let Value::Unknown(_) = v {
                    return Ok(v.clone());
                }
                if !v.is_empty_value() {
                    return Ok(v.clone());
                }
            }
            Ok(Value::Nil)
        }),
        f!("all", [], Some(P::Any), Prop, |_, c| Ok(Value::Bool(
            c.args.iter().all(|v| !v.is_empty_value()),
            None
        ))),
        f!("any", [], Some(P::Any), Prop, |_, c| Ok(Value::Bool(
            c.args.iter().any(|v| !v.is_empty_value()),
            None
        ))),
        f!(
            "ternary",
            [Any, Any, Bool],
            None,
            Own,
            |_, c| match c.v(2) {
                Value::Unknown(w) => Ok(Value::Unknown(w.clone())),
                Value::Bool(true, _) => Ok(c.v(0).clone()),
                _ => Ok(c.v(1).clone()),
            }
        ),
        f!("deepCopy", [Any], None, Own, |_, c| Ok(deep_copy(
            c.v(0),
            0
        ))),
        f!("mustDeepCopy", [Any], None, Own, |_, c| Ok(deep_copy(
            c.v(0),
            0
        ))),
        // reflection
        f!("typeOf", [Any], None, Prop, |_, c| Ok(Value::str(
            c.v(0).type_name()
        ))),
        f!("typeIs", [Str, Any], None, Prop, |_, c| Ok(Value::Bool(
            c.st(0) == c.v(1).type_name(),
            None
        ))),
        f!("typeIsLike", [Str, Any], None, Prop, |_, c| {
            let t = c.v(1).type_name();
            let target = c.st(0);
            Ok(Value::Bool(
                target == t || format!("*{}", target) == t,
                None,
            ))
        }),
        f!("kindOf", [Any], None, Prop, |_, c| Ok(Value::str(
            c.v(0).kind_name()
        ))),
        f!("kindIs", [Str, Any], None, Prop, |_, c| Ok(Value::Bool(
            c.st(0) == c.v(1).kind_name(),
            None
        ))),
        f!("deepEqual", [Any, Any], None, Prop, |_, c| Ok(Value::Bool(
            deep_equal(c.v(0), c.v(1)),
            None
        ))),
    ]
}

fn push(c: &Call, what: &str, front: bool) -> FR {
    if let Some(u) = map_arg_unknown(c) {
        return Ok(u);
    }
    let mut items = slice_items(c.v(0), what)?;
    if front {
        items.insert(0, c.v(1).clone());
    } else {
        items.push(c.v(1).clone());
    }
    Ok(list_of(items))
}

fn pick_one(c: &Call, what: &str, first: bool) -> FR {
    if let Some(u) = map_arg_unknown(c) {
        return Ok(u);
    }
    let items = slice_items(c.v(0), what)?;
    Ok(if first {
        items.first().cloned()
    } else {
        items.last().cloned()
    }
    .unwrap_or(Value::Nil))
}

fn sub_list(c: &Call, what: &str, rest: bool) -> FR {
    if let Some(u) = map_arg_unknown(c) {
        return Ok(u);
    }
    let items = slice_items(c.v(0), what)?;
    if items.is_empty() {
        return Ok(Value::List(List::nil()));
    }
    Ok(list_of(if rest {
        items[1..].to_vec()
    } else {
        items[..items.len() - 1].to_vec()
    }))
}

fn uniq(c: &Call) -> FR {
    let items = slice_items(c.v(0), "find uniq")?;
    let mut out: Vec<Value> = Vec::new();
    for it in items {
        if !out.iter().any(|o| deep_equal(o, &it)) {
            out.push(it);
        }
    }
    Ok(list_of(out))
}

fn without(c: &Call) -> FR {
    let items = slice_items(c.v(0), "find without")?;
    let omit = c.rest(1);
    Ok(list_of(
        items
            .into_iter()
            .filter(|it| !omit.iter().any(|o| deep_equal(o, it)))
            .collect(),
    ))
}

fn has(c: &Call) -> FR {
    match c.v(1) {
        Value::Nil => Ok(Value::Bool(false, None)),
        hay => {
            let items = slice_items(hay, "find has")?;
            Ok(Value::Bool(
                items.iter().any(|it| deep_equal(c.v(0), it)),
                None,
            ))
        }
    }
}

fn to_int(v: &Value) -> i64 {
    super::math::to_int64(v).unwrap_or(0)
}

fn slice(c: &Call) -> FR {
    let v = c.v(0);
    let (items, is_str) = match v {
        Value::List(l) => (l.items().to_vec(), false),
        Value::Nil => return Err(FnErr::Msg(NIL_DEREF.into())),
        v => {
            return Err(FnErr::Msg(format!(
                "list should be type of slice or array but {}",
                v.kind_name()
            )));
        }
    };
    let _ = is_str;
    let l = items.len() as i64;
    if l == 0 {
        return Ok(Value::Nil);
    }
    let start = c.args.get(1).map(to_int).unwrap_or(0);
    let end = c.args.get(2).map(to_int).unwrap_or(l);
    if start < 0 || end < start || end > l {
        return Err(FnErr::Msg(format!(
            "reflect: slice index out of range [{}:{}] with capacity {}",
            start, end, l
        )));
    }
    let ty = match v {
        Value::List(l) => l.ty(),
        _ => ListTy::Any,
    };
    Ok(Value::List(List::typed(
        items[start as usize..end as usize].to_vec(),
        ty,
    )))
}

fn dig(_: &mut dyn super::Host, c: &mut Call) -> FR {
    let n = c.args.len();
    if n < 3 {
        return Err(FnErr::Msg("dig needs at least three arguments".into()));
    }
    let mut cur = match &c.args[n - 1] {
        Value::Map(m) if m.ty == MapTy::Any => m.clone(),
        Value::Unknown(w) => return Ok(Value::Unknown(w.clone())),
        v => {
            return Err(FnErr::Msg(format!(
                "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                if matches!(v, Value::Nil) {
                    "nil".to_string()
                } else {
                    v.type_name()
                }
            )));
        }
    };
    let def = c.args[n - 2].clone();
    let keys = &c.args[..n - 2];
    for (i, k) in keys.iter().enumerate() {
        let k = match k {
            Value::Str(t) => t.s.clone(),
            Value::Unknown(w) => return Ok(Value::Unknown(w.clone())),
            v => {
                return Err(FnErr::Msg(format!(
                    "interface conversion: interface {{}} is {}, not string",
                    if matches!(v, Value::Nil) {
                        "nil".to_string()
                    } else {
                        v.type_name()
                    }
                )));
            }
        };
        let Some(step) = cur.get(&k) else {
            return Ok(def);
        };
        if i == keys.len() - 1 {
            return Ok(step);
        }
        cur = match step {
            Value::Map(m) if m.ty == MapTy::Any => m,
            Value::Unknown(w) => return Ok(Value::Unknown(w)),
            v => {
                return Err(FnErr::Msg(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    if matches!(v, Value::Nil) {
                        "nil".to_string()
                    } else {
                        v.type_name()
                    }
                )));
            }
        };
    }
    Ok(def)
}

pub(crate) fn deep_copy(v: &Value, d: usize) -> Value {
    if d > 100 {
        return Value::Nil;
    }
    match v {
        Value::List(l) => Value::List(List::typed(
            l.items().iter().map(|x| deep_copy(x, d + 1)).collect(),
            l.ty(),
        )),
        Value::Map(m) => {
            let dd = m.data.borrow();
            let mut e = BTreeMap::new();
            for (k, x) in dd.entries.iter() {
                e.insert(k.clone(), deep_copy(x, d + 1));
            }
            let nm = Map::from_entries(e);
            nm.data.borrow_mut().key_marks = dd.key_marks.clone();
            Value::Map(Map {
                data: nm.data,
                ty: if m.ty == MapTy::Str { MapTy::Str } else { m.ty },
            })
        }
        v => v.clone(),
    }
}

fn merge_fn(c: &Call, overwrite: bool) -> FR {
    if let Some(u) = unknown_of(&c.args.iter().collect::<Vec<_>>()) {
        return Ok(u);
    }
    let mut dst = c.map(0);
    if dst.is_nil() {
        let has_src = c
            .rest(1)
            .iter()
            .any(|s| matches!(s, Value::Map(m) if !m.is_nil()));
        if has_src {
            dst = Map::new();
        }
    }
    for s in c.rest(1) {
        if let Value::Map(src) = s {
            if src.ptr_eq(&dst) {
                continue;
            }
            merge_into(&dst, src, overwrite, 0);
        }
    }
    Ok(Value::Map(dst))
}

/// mergo's deepMerge for `map[string]interface{}` (Merge / MergeWithOverwrite).
pub(crate) fn merge_into(dst: &Map, src: &Map, overwrite: bool, depth: usize) {
    if depth > 100 {
        return;
    }
    let src_empty = src.is_empty();
    let dst_empty_at_start = dst.is_empty();
    for (k, sv) in src.entries() {
        let dv = dst.get(&k);
        match &sv {
            Value::Nil => {
                if overwrite {
                    dst.insert_marked(k.clone(), src.key_mark(&k), Value::Nil);
                }
                continue;
            }
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &dv
                    && !dm.ptr_eq(sm)
                {
                    merge_into(dm, sm, overwrite, depth + 1);
                }
            }
            Value::List(_) => {
                let _ = (src_empty, dst_empty_at_start);
            }
            _ => {}
        }
        if let Some(d) = &dv
            && !d.is_empty_value()
        {
            if matches!(sv, Value::List(_)) && !overwrite {
                continue;
            }
            if matches!(sv, Value::Map(_)) && matches!(d, Value::Map(_)) {
                continue;
            }
        }
        if overwrite || dv.is_none() || dv.as_ref().map(|d| d.is_empty_value()).unwrap_or(true) {
            dst.insert_marked(k.clone(), src.key_mark(&k), sv.clone());
        }
    }
}

#[allow(dead_code)]
fn strval(v: &Value) -> String {
    gofmt::strval(v).s
}
