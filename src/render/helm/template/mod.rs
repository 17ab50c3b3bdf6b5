//! A Go `text/template` engine with Helm's function set, built so that every rendered value
//! knows where it came from.
//!
//! # Why our own engine
//! plumbline renders Helm charts in-process and must point every finding at the values-file
//! line that produced a rendered value. The `gotmpl` crate (0.6.1, a port of Go's
//! text/template) was probed and rejected: no method calls on fields (`.Files.Get "x"`,
//! `.Capabilities.APIVersions.Has "x"`), maps behind `Arc<BTreeMap>` so the side effects of
//! `set`/`unset`/`merge` are lost (`$_ := set $d "k" v` is everywhere in charts), runtime
//! errors without position, Rust-style float printing, no int/float64 distinction, and —
//! decisive — its values cannot carry provenance.
//!
//! # What it owns
//! * [`parse`]: lexer and parser (positions on every node, Go's error texts).
//! * [`exec`]: the executor with Go semantics (truthiness, `and`/`or` short-circuit, nil
//!   field errors, `missingkey=zero` + Helm's `<no value>` removal, limits).
//! * [`value`]: Go kinds (`int`, `int64`, `float64`, maps as shared references) and marks.
//! * `funcs`: Go builtins, Sprig v3.3.0 as Helm 3.17 registers it, Helm's functions.
//! * [`yaml`], [`json`], [`gofmt`]: byte-exact go-yaml v2 / encoding/json / fmt output.
//! * [`helm`]: `.Files`, `.Capabilities`, `.Chart`, `.Release`, and the chart renderer.
//!
//! It must not read files, use the network or the environment: everything comes in as data.
//!
//! # Provenance
//! Scalars carry an optional [`Mark`]; strings carry marks per byte range ([`Text`]). Functions
//! that move bytes (`quote`, `indent`, `trim`, `replace`, `printf`, `toYaml`, …) keep
//! positions; functions that make a new string from marked input as a whole (`b64enc`,
//! `sha256sum`, `upper` when lengths change, …) mark their whole output with every mark of the
//! input. [`Rendered`] gives the marks of the output, the template span that wrote each range,
//! and the ranges holding values nobody can know ([`UNKNOWN_TEXT`]).
//!
//! # Unknown values
//! [`Value::Unknown`] stands for what cannot be known when linting (random and generated
//! values, `now`, a DNS lookup, or values the caller marks unknown). Functions given an Unknown
//! return Unknown, except where Go semantics decide without it (`default` and `coalesce`
//! return it as their answer; `dict`, `list`, `set` store it; `quote`, `printf`, `indent`,
//! `toYaml` print [`UNKNOWN_TEXT`] and record its range). `if`/`with` on an Unknown take the
//! truthy branch; `range` over an Unknown runs its body once with an Unknown element.

#![forbid(unsafe_code)]

pub mod error;
pub mod exec;
mod funcs;
pub mod gofmt;
pub mod helm;
pub mod json;
pub mod parse;
pub mod semver;
pub mod value;
pub mod yaml;

pub use exec::{Error, ErrorKind, Exec, Limits, Rendered, Required, TemplateSet, TemplateSpan};
pub use helm::{
    Capabilities, ChartInput, ChartRender, Files, PreparedChart, RenderOptions, render_chart,
};
pub use value::{List, ListTy, Map, MapTy, Mark, Object, Text, TextBuf, UNKNOWN_TEXT, Value};

/// Names of every template function defined (Go builtins, Sprig as Helm registers it, Helm's).
pub fn function_names() -> Vec<&'static str> {
    funcs::names()
}

/// Loads YAML (a values file) as Helm does, marking each scalar and key with `mark(start, end)`
/// of its byte span.
pub fn load_yaml(
    text: &str,
    mark: &mut dyn FnMut(usize, usize) -> Option<Mark>,
) -> Result<Value, String> {
    yaml::load(text, mark)
}

pub(crate) fn funcs_parse_float(s: &str) -> Option<f64> {
    funcs::parse_float(s)
}

pub(crate) fn funcs_whole(t: &Text, out: String) -> Text {
    funcs::whole_text(t, out)
}

pub(crate) fn funcs_split(t: &Text, sep: &str) -> Vec<Text> {
    funcs::split_text(t, sep)
}
