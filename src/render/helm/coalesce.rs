//! Values as Helm 3.17 computes them for `helm template`, on marked template values so every
//! value keeps the mark of the file line that set it:
//!
//! 1. the user's values: `-f` files merged in order (`values.MergeValues`: maps merge key by
//!    key, anything else replaces, `null` is kept), then each `--set` parsed into them;
//! 2. which dependencies are rendered (`chartutil.processDependencyEnabled`): subcharts in
//!    `charts/` matched to `dependencies` by name and version range, copied under their
//!    `alias`, then `tags` and `condition` (a condition that is a boolean wins over tags)
//!    read from the values coalesced so far; a disabled dependency is removed with its
//!    subtree;
//! 3. `import-values` (`processDependencyImportValues` with merge, bottom-up): a chart with
//!    dependencies gets as its defaults its values merged with its subcharts' (the parent's
//!    own values win over imported ones);
//! 4. `chartutil.CoalesceValues`: the user's values over the chart's defaults (`null` deletes
//!    a default), each subchart's table under its name (or alias) over the subchart's
//!    defaults, and `global` copied from parent to child (the parent's globals win; a
//!    subchart's own `global` defaults are seen by it and by its subcharts, never by its
//!    parent — `helm template` agrees).
//!
//! Work is bounded by a node budget: values with aliases can be exponentially larger than
//! their text.

use std::rc::Rc;

use super::chart::{Chart, Dependency, ImportValue};
use super::template::value::MapData;
use super::template::{List, Map, Value, semver};

/// A budget of value nodes to visit; exhausted means a `limit` diagnostic.
pub(crate) struct Budget(pub u64);

#[derive(Debug)]
pub(crate) struct Exhausted;

impl Budget {
    fn spend(&mut self) -> Result<(), Exhausted> {
        self.0 = self.0.checked_sub(1).ok_or(Exhausted)?;
        Ok(())
    }
}

/// A deep copy (Helm copies values before coalescing; templates may mutate maps).
pub(crate) fn copy(v: &Value, budget: &mut Budget) -> Result<Value, Exhausted> {
    budget.spend()?;
    Ok(match v {
        Value::Map(m) => Value::Map(copy_map(m, budget)?),
        Value::List(l) => {
            let items = l
                .items()
                .iter()
                .map(|x| copy(x, budget))
                .collect::<Result<Vec<_>, _>>()?;
            Value::List(List::typed(items, l.ty()))
        }
        other => other.clone(),
    })
}

pub(crate) fn copy_map(m: &Map, budget: &mut Budget) -> Result<Map, Exhausted> {
    let data = m.data.borrow();
    let mut entries = std::collections::BTreeMap::new();
    for (k, v) in &data.entries {
        entries.insert(k.clone(), copy(v, budget)?);
    }
    Ok(Map {
        data: Rc::new(std::cell::RefCell::new(MapData {
            entries,
            key_marks: data.key_marks.clone(),
            nil: data.nil,
        })),
        ty: m.ty,
    })
}

/// `values.mergeMaps`: `b` over `a`, in place on `a`.
pub(crate) fn merge_maps(a: &Map, b: &Map, budget: &mut Budget) -> Result<(), Exhausted> {
    for (k, v) in b.entries() {
        budget.spend()?;
        if let Value::Map(bm) = &v
            && let Some(Value::Map(am)) = a.get(&k)
        {
            merge_maps(&am, bm, budget)?;
            continue;
        }
        a.insert_marked(k.clone(), b.key_mark(&k), v);
    }
    Ok(())
}

/// One chart of the tree as an environment renders it: enabled subcharts only, named by
/// alias, with the defaults import-values gave it.
pub(crate) struct Node<'c> {
    pub chart: &'c Chart,
    /// The name templates see (`.Chart.Name`, the key of its values): the alias if any.
    pub name: String,
    /// Its defaults (values.yaml, or after import-values the merged tree).
    pub values: Map,
    /// The enabled `dependencies` entries, with their effective names.
    pub deps: Option<Vec<(String, &'c Dependency)>>,
    pub children: Vec<Node<'c>>,
}

/// Helm's `IsCompatibleRange`.
pub(crate) fn compatible(constraint: &str, version: &str) -> bool {
    match (
        semver::Constraints::parse(constraint),
        semver::Version::parse(version),
    ) {
        (Ok(c), Ok(v)) => c.check(&v),
        _ => false,
    }
}

/// The tree of a chart before dependencies are processed: every subchart, by its own name.
pub(crate) fn tree<'c>(chart: &'c Chart, budget: &mut Budget) -> Result<Node<'c>, Exhausted> {
    budget.spend()?;
    Ok(Node {
        chart,
        name: chart.name.clone(),
        // Shared, never changed: every use below copies before it merges.
        values: chart.values.clone(),
        deps: chart
            .dependencies
            .as_ref()
            .map(|d| d.iter().map(|x| (x.name.clone(), x)).collect()),
        children: chart
            .subcharts
            .iter()
            .map(|c| tree(c, budget))
            .collect::<Result<_, _>>()?,
    })
}

fn renamed<'c>(node: &Node<'c>, name: &str, budget: &mut Budget) -> Result<Node<'c>, Exhausted> {
    budget.spend()?;
    Ok(Node {
        chart: node.chart,
        name: name.to_string(),
        values: node.values.clone(),
        deps: node.deps.clone(),
        children: node
            .children
            .iter()
            .map(|c| renamed(c, &c.name, budget))
            .collect::<Result<_, _>>()?,
    })
}

/// A warning Helm logs and goes on (a condition that is not a boolean…), at its entry.
pub(crate) struct Warning {
    pub message: String,
    pub at: Option<crate::source::Origin>,
}

/// `processDependencyEnabled`.
pub(crate) fn enable(
    node: &mut Node<'_>,
    vals: &Map,
    path: &str,
    budget: &mut Budget,
    warnings: &mut Vec<Warning>,
) -> Result<(), Exhausted> {
    let Some(deps) = node.deps.clone() else {
        return Ok(());
    };
    let existing = std::mem::take(&mut node.children);
    let mut children = Vec::new();
    for c in &existing {
        let matched = deps
            .iter()
            .any(|(_, d)| c.name == d.name && compatible(&d.version, &c.chart.version));
        if !matched {
            children.push(renamed(c, &c.name, budget)?);
        }
    }
    let mut named = Vec::new();
    for (_, d) in &deps {
        if let Some(c) = existing
            .iter()
            .find(|c| c.name == d.name && compatible(&d.version, &c.chart.version))
        {
            let name = d.alias.clone().unwrap_or_else(|| d.name.clone());
            children.push(renamed(c, &name, budget)?);
        }
        named.push((d.alias.clone().unwrap_or_else(|| d.name.clone()), *d));
    }
    node.children = children;
    let cvals = coalesce_values(node, vals, budget)?;
    let mut enabled: Vec<bool> = vec![true; named.len()];
    // Tags, then conditions.
    if let Some(Value::Map(tags)) = cvals.get("tags") {
        for (i, (name, d)) in named.iter().enumerate() {
            let (mut has_true, mut has_false) = (false, false);
            for t in &d.tags {
                match tags.get(t) {
                    Some(Value::Bool(b, _)) => {
                        if b {
                            has_true = true
                        } else {
                            has_false = true
                        }
                    }
                    Some(_) => warnings.push(Warning {
                        message: format!("tag '{t}' for chart {name} returned non-bool value"),
                        at: Some(d.at.clone()),
                    }),
                    None => {}
                }
            }
            enabled[i] = has_true || !has_false;
        }
    }
    for (i, (name, d)) in named.iter().enumerate() {
        for c in d.condition.trim().split(',') {
            if c.is_empty() {
                continue;
            }
            match path_value(&cvals, &format!("{path}{c}")) {
                Some(Value::Bool(b, _)) => {
                    enabled[i] = b;
                    break;
                }
                Some(Value::Unknown(_)) | None => {}
                Some(_) => warnings.push(Warning {
                    message: format!(
                        "condition path '{c}' for chart {name} returned non-bool value"
                    ),
                    at: Some(d.at.clone()),
                }),
            }
        }
    }
    let removed: Vec<&str> = named
        .iter()
        .zip(&enabled)
        .filter(|(_, e)| !**e)
        .map(|((n, _), _)| n.as_str())
        .collect();
    node.children
        .retain(|c| !removed.contains(&c.name.as_str()));
    node.deps = Some(
        named
            .iter()
            .zip(&enabled)
            .filter(|(_, e)| **e)
            .map(|((n, d), _)| (n.clone(), *d))
            .collect(),
    );
    for child in &mut node.children {
        let sub = format!("{path}{}.", child.name);
        enable(child, &cvals, &sub, budget, warnings)?;
    }
    Ok(())
}

/// `Values.PathValue`: a value that is not a table at a dotted path.
fn path_value(vals: &Map, path: &str) -> Option<Value> {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, tables) = parts.split_last()?;
    let mut cur = vals.clone();
    for p in tables {
        cur = match cur.get(p) {
            Some(Value::Map(m)) => m,
            _ => return None,
        };
    }
    match cur.get(last) {
        Some(Value::Map(_)) | None => None,
        Some(v) => Some(v),
    }
}

/// `Values.Table`: the table at a dotted path.
fn path_table(vals: &Map, path: &str) -> Option<Map> {
    let mut cur = vals.clone();
    for p in path.split('.') {
        cur = match cur.get(p) {
            Some(Value::Map(m)) => m,
            _ => return None,
        };
    }
    Some(cur)
}

/// `processDependencyImportValues` with merge (what `helm template` uses), bottom-up.
pub(crate) fn import_values(
    node: &mut Node<'_>,
    budget: &mut Budget,
    warnings: &mut Vec<Warning>,
) -> Result<(), Exhausted> {
    for c in &mut node.children {
        import_values(c, budget, warnings)?;
    }
    let Some(deps) = node.deps.clone() else {
        return Ok(());
    };
    let cvals = coalesce(node, &Map::new(), true, budget)?;
    let b = Map::new();
    for (name, d) in &deps {
        for iv in &d.import_values {
            let (child, parent) = match iv {
                ImportValue::Exports(s) => (format!("exports.{s}"), ".".to_string()),
                ImportValue::Path { child, parent } => (child.clone(), parent.clone()),
            };
            let Some(vv) = path_table(&cvals, &format!("{name}.{child}")) else {
                warnings.push(Warning {
                    message: format!("import-values: missing table {name}.{child}"),
                    at: Some(d.at.clone()),
                });
                continue;
            };
            let vv = copy_map(&vv, budget)?;
            let placed = if parent == "." {
                vv
            } else {
                let mut cur = vv;
                for p in parent.split('.').rev() {
                    let m = Map::new();
                    m.insert(p, Value::Map(cur));
                    cur = m;
                }
                cur
            };
            coalesce_tables(&b, &placed, true, budget)?;
        }
    }
    let merged = copy_map(&cvals, budget)?;
    coalesce_tables(&merged, &b, true, budget)?;
    node.values = merged;
    Ok(())
}

/// `CoalesceValues(chart, vals)`: a copy of `vals` coalesced over the chart's tree.
pub(crate) fn coalesce_values(
    node: &Node<'_>,
    vals: &Map,
    budget: &mut Budget,
) -> Result<Map, Exhausted> {
    let dest = copy_map(vals, budget)?;
    coalesce(node, &dest, false, budget)
}

fn coalesce(
    node: &Node<'_>,
    dest: &Map,
    merge: bool,
    budget: &mut Budget,
) -> Result<Map, Exhausted> {
    coalesce_chart_values(node, dest, merge, budget)?;
    coalesce_deps(node, dest, merge, budget)?;
    Ok(dest.clone())
}

fn coalesce_deps(
    node: &Node<'_>,
    dest: &Map,
    merge: bool,
    budget: &mut Budget,
) -> Result<(), Exhausted> {
    for sub in &node.children {
        budget.spend()?;
        let dv = match dest.get(&sub.name) {
            None => {
                let m = Map::new();
                dest.insert(sub.name.clone(), Value::Map(m.clone()));
                m
            }
            Some(Value::Map(m)) => m,
            // Helm: "type mismatch"; the subchart gets no values of the user's.
            Some(_) => {
                let m = Map::new();
                dest.insert(sub.name.clone(), Value::Map(m.clone()));
                m
            }
        };
        coalesce_globals(&dv, dest, budget)?;
        let out = coalesce(sub, &dv, merge, budget)?;
        let key_mark = dest.key_mark(&sub.name);
        dest.insert_marked(sub.name.clone(), key_mark, Value::Map(out));
    }
    Ok(())
}

/// `coalesceGlobals`: the parent's `global` over the child's.
fn coalesce_globals(dest: &Map, src: &Map, budget: &mut Budget) -> Result<(), Exhausted> {
    let dg = match dest.get("global") {
        None => Map::new(),
        Some(Value::Map(m)) => m,
        Some(_) => return Ok(()),
    };
    let sg = match src.get("global") {
        None => Map::new(),
        Some(Value::Map(m)) => m,
        Some(_) => return Ok(()),
    };
    for (key, val) in sg.entries() {
        budget.spend()?;
        let mark = sg.key_mark(&key);
        if let Value::Map(vm) = &val {
            // A shallow copy, as Helm's copyMap.
            let vv = Map::new();
            for (k, v) in vm.entries() {
                vv.insert_marked(k.clone(), vm.key_mark(&k), v);
            }
            match dg.get(&key) {
                None => dg.insert_marked(key, mark, Value::Map(vv)),
                Some(Value::Map(destv)) => {
                    coalesce_tables(&vv, &destv, true, budget)?;
                    dg.insert_marked(key, mark, Value::Map(vv));
                }
                Some(_) => {}
            }
        } else if matches!(dg.get(&key), Some(Value::Map(_))) {
            // Helm: "key is table. Skipping".
        } else {
            dg.insert_marked(key, mark, val);
        }
    }
    let mark = dest.key_mark("global").or_else(|| src.key_mark("global"));
    dest.insert_marked("global", mark, Value::Map(dg));
    Ok(())
}

/// `coalesceValues`: the chart's defaults under `v` (`v` wins).
fn coalesce_chart_values(
    node: &Node<'_>,
    v: &Map,
    merge: bool,
    budget: &mut Budget,
) -> Result<(), Exhausted> {
    let vc = copy_map(&node.values, budget)?;
    for (key, val) in vc.entries() {
        budget.spend()?;
        match v.get(&key) {
            Some(Value::Nil) if !merge => v.remove(&key),
            Some(Value::Map(dest)) => {
                if let Value::Map(src) = &val {
                    let merge = merge || node.children.iter().any(|c| c.name == key);
                    coalesce_tables(&dest, src, merge, budget)?;
                }
            }
            Some(_) => {}
            None => v.insert_marked(key.clone(), vc.key_mark(&key), val),
        }
    }
    Ok(())
}

/// `coalesceTablesFullKey`: `src` under `dst` (`dst` wins).
pub(crate) fn coalesce_tables(
    dst: &Map,
    src: &Map,
    merge: bool,
    budget: &mut Budget,
) -> Result<(), Exhausted> {
    if dst.ptr_eq(src) {
        return Ok(());
    }
    for (key, val) in src.entries() {
        budget.spend()?;
        match dst.get(&key) {
            Some(Value::Nil) if !merge => dst.remove(&key),
            None => dst.insert_marked(key.clone(), src.key_mark(&key), val),
            Some(dv) => {
                if let (Value::Map(sv), Value::Map(dm)) = (&val, &dv) {
                    coalesce_tables(dm, sv, merge, budget)?;
                }
            }
        }
    }
    Ok(())
}
