//! `plumbline graph`: the services, where each fact comes from, and why layers were linked,
//! as text for people, JSON for scripts, or Graphviz DOT for a picture (`dot -Tsvg`).
//!
//! Every string here comes from files (names, images, paths, reasons quoting them), so each
//! goes through the report's redaction pass, and through its escaping: one field per line in
//! text and DOT, `\uXXXX` escapes in JSON.

use std::fmt::Write as _;
use std::io;

use serde_json::json;

use super::escape::{inline, write_json};
use super::redact::Redactor;
use crate::engine::Report;
use crate::graph::Graph;
use crate::model::layer::{Layer, port_list};
use crate::source::Origin;

/// The formats of `plumbline graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Text,
    Json,
    Dot,
}

/// Writes the graph of `report` (empty when it has none) in `format`, redacted and escaped.
pub fn write(report: &Report, format: GraphFormat, out: &mut dyn io::Write) -> io::Result<()> {
    let redactor = Redactor::of(report);
    let empty = Graph::default();
    let g = report.graph.as_ref().unwrap_or(&empty);
    match format {
        GraphFormat::Text => text(g, &redactor, out),
        GraphFormat::Json => json(g, &redactor, out),
        GraphFormat::Dot => dot(g, &redactor, out),
    }
}

/// A string from a file, made fit for a line of text output.
fn clean(r: &Redactor, s: &str) -> String {
    inline(&r.text(s)).into_owned()
}

fn at(o: &Origin) -> String {
    let lc = o.start();
    format!("{}:{}:{}", o.file.display_path, lc.line, lc.column)
}

fn image_text(l: &Layer) -> Option<String> {
    let i = &l.image.as_ref()?.value;
    Some(match (&i.tag, &i.digest) {
        (_, Some(d)) => format!("{}@{d}", i.repository),
        (Some(t), None) => format!("{}:{t}", i.repository),
        (None, None) => i.repository.clone(),
    })
}

/// One line of facts about a layer.
fn facts(l: &Layer) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(i) = image_text(l) {
        let verb = if l.builds.is_some() {
            "builds"
        } else {
            "image"
        };
        out.push(format!("{verb} {i}"));
    }
    if !l.ports.is_empty() {
        out.push(format!("ports {}", port_list(&l.ports)));
    }
    for p in &l.probes {
        let target = match (p.port, &p.path) {
            (Some(port), Some(path)) => format!(" :{port}{path}"),
            (Some(port), None) => format!(" :{port}"),
            _ => String::new(),
        };
        out.push(format!("{}{target}", p.kind));
    }
    if let Some(u) = &l.user {
        out.push(format!("USER {}", u.value));
    }
    if let Some(r) = &l.run_as_non_root {
        out.push(format!("runAsNonRoot {}", r.value));
    }
    if let Some(r) = &l.run_as_user {
        out.push(format!("runAsUser {}", r.value));
    }
    out
}

fn text(g: &Graph, r: &Redactor, out: &mut dyn io::Write) -> io::Result<()> {
    let mut s = String::new();
    for svc in &g.services {
        let _ = writeln!(s, "service {}", clean(r, &svc.name));
        for (_, l) in g.layers_of(svc) {
            let _ = writeln!(s, "  {}  ({})", clean(r, &l.title()), clean(r, &at(&l.at)));
            let f = facts(l);
            if !f.is_empty() {
                let _ = writeln!(s, "      {}", clean(r, &f.join("; ")));
            }
        }
        for link in g.links.iter().filter(|k| svc.layers.contains(&k.a)) {
            let _ = writeln!(s, "    linked: {}", clean(r, &link.reason));
        }
        s.push('\n');
    }
    if !g.ambiguous.is_empty() {
        let _ = writeln!(s, "not linked (ambiguous):");
        for a in &g.ambiguous {
            let candidates: Vec<String> =
                a.candidates.iter().map(|c| g.layers[*c].title()).collect();
            let _ = writeln!(
                s,
                "  {}: {} ({}); settle it with [services.<name>] in .plumbline.toml",
                clean(r, &g.layers[a.layer].title()),
                clean(r, &a.reason),
                clean(r, &candidates.join(", "))
            );
        }
    }
    let linked = g.services.iter().filter(|s| s.layers.len() > 1).count();
    let _ = writeln!(
        s,
        "{} services ({} seen in more than one layer), {} layers, {} links, {} ambiguous.",
        g.services.len(),
        linked,
        g.layers.len(),
        g.links.len(),
        g.ambiguous.len()
    );
    out.write_all(s.as_bytes())
}

fn json(g: &Graph, r: &Redactor, out: &mut dyn io::Write) -> io::Result<()> {
    let loc = |o: &Origin| {
        let lc = o.start();
        json!({"path": o.file.display_path, "line": lc.line, "column": lc.column})
    };
    let layer = |i: usize, l: &Layer| {
        json!({
            "id": i,
            "kind": l.kind.as_str(),
            "label": l.label,
            "names": l.names,
            "environment": l.environment,
            "location": loc(&l.at),
            "image": image_text(l),
            "builds": l.builds.as_ref().map(|b| b.value.to_string_lossy().replace('\\', "/")),
            "ports": l.ports.iter().map(|p| json!({"port": p.value, "location": loc(&p.at)})).collect::<Vec<_>>(),
            "probes": l.probes.iter().map(|p| json!({"kind": p.kind, "port": p.port, "path": p.path, "location": loc(&p.at)})).collect::<Vec<_>>(),
            "user": l.user.as_ref().map(|u| json!({"value": u.value, "location": loc(&u.at)})),
            "run_as_non_root": l.run_as_non_root.as_ref().map(|u| json!({"value": u.value, "location": loc(&u.at)})),
            "run_as_user": l.run_as_user.as_ref().map(|u| json!({"value": u.value, "location": loc(&u.at)})),
        })
    };
    let doc = json!({
        "version": 1,
        "services": g.services.iter().map(|s| json!({
            "name": s.name,
            "layers": g.layers_of(s).map(|(i, l)| layer(i, l)).collect::<Vec<_>>(),
            "links": g.links.iter().filter(|k| s.layers.contains(&k.a)).map(|k| json!({"a": k.a, "b": k.b, "reason": k.reason})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "ambiguous": g.ambiguous.iter().map(|a| json!({"layer": a.layer, "candidates": a.candidates, "reason": a.reason})).collect::<Vec<_>>(),
    });
    write_json(&redact_json(doc, r), out)
}

/// Every string of a JSON value (keys included) through the redaction pass.
fn redact_json(v: serde_json::Value, r: &Redactor) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(r.string(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| redact_json(x, r)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, x)| (r.string(&k), redact_json(x, r)))
                .collect(),
        ),
        other => other,
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz: a box per service holding its layers; solid edges are links (labelled with
/// their evidence), dashed red edges are links left out as ambiguous.
fn dot(g: &Graph, r: &Redactor, out: &mut dyn io::Write) -> io::Result<()> {
    let dot_escape = |s: &str| dot_escape(&clean(r, s));
    let mut s = String::from(
        "digraph plumbline {\n  rankdir=LR;\n  compound=true;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f7f7f7\", fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n",
    );
    for (n, svc) in g.services.iter().enumerate() {
        let _ = writeln!(
            s,
            "  subgraph cluster_{n} {{\n    label=\"{}\";\n    style=\"rounded\";\n    color=\"#4a7ab5\";\n    fontname=\"Helvetica-Bold\";",
            dot_escape(&svc.name)
        );
        for (i, l) in g.layers_of(svc) {
            let fill = match l.kind {
                crate::model::layer::LayerKind::Dockerfile => "#e8f1fb",
                crate::model::layer::LayerKind::Compose => "#eaf7ea",
                crate::model::layer::LayerKind::Kubernetes => "#fdf3e1",
                crate::model::layer::LayerKind::Helm => "#f3e9fa",
                crate::model::layer::LayerKind::Terraform => "#fbe9ea",
                crate::model::layer::LayerKind::Bicep => "#e6f4f7",
                crate::model::layer::LayerKind::Azd => "#f0f0f0",
            };
            let mut label = format!("{}\\n{}", dot_escape(&l.title()), dot_escape(&at(&l.at)));
            for f in facts(l) {
                label.push_str(&format!("\\n{}", dot_escape(&f)));
            }
            let _ = writeln!(s, "    l{i} [label=\"{label}\", fillcolor=\"{fill}\"];");
        }
        s.push_str("  }\n");
    }
    for k in &g.links {
        let _ = writeln!(
            s,
            "  l{} -> l{} [dir=none, label=\"{}\"];",
            k.a,
            k.b,
            dot_escape(&short_reason(&r.string(&k.reason)))
        );
    }
    for a in &g.ambiguous {
        for c in &a.candidates {
            let _ = writeln!(
                s,
                "  l{} -> l{c} [dir=none, style=dashed, color=\"#c0392b\", label=\"ambiguous\"];",
                a.layer
            );
        }
    }
    s.push_str("}\n");
    out.write_all(s.as_bytes())
}

/// Edge labels stay short: the kind of evidence, not the whole sentence.
fn short_reason(reason: &str) -> String {
    if reason.contains("builds") && reason.contains("`build:`") {
        "build:".into()
    } else if reason.contains("runs image") {
        "image".into()
    } else if reason.contains("both named") {
        "same name".into()
    } else if reason.contains("environments") {
        "environments".into()
    } else {
        reason.chars().take(30).collect()
    }
}
