//! Provenance: marks of supplied values and template literals must follow the bytes into the
//! output, through every function that moves or derives text.

use plumbline::render::helm::template::{Limits, Map, Mark, Rendered, TemplateSet, Value};

const TID: u32 = 7;

fn ext(i: u32) -> Option<Mark> {
    Some(Mark::External(i))
}

/// Values: s="secret"(1), n=8080(2), f=1.5(3), b=true(4), multi="a\nb"(5), list=[x(6), y(7)],
/// map={k: v(8)}, t="pre-{{ .Values.s }}"(9), sp="  pad  "(10), name="My App"(11)
fn values() -> Value {
    let v = Map::new();
    v.insert("s", Value::str_marked("secret", ext(1)));
    v.insert("n", Value::Float(8080.0, ext(2)));
    v.insert("f", Value::Float(1.5, ext(3)));
    v.insert("b", Value::Bool(true, ext(4)));
    v.insert("multi", Value::str_marked("a\nb", ext(5)));
    v.insert(
        "list",
        Value::list(vec![
            Value::str_marked("x", ext(6)),
            Value::str_marked("y", ext(7)),
        ]),
    );
    let m = Map::new();
    m.insert_marked("k", ext(80), Value::str_marked("v", ext(8)));
    v.insert("map", Value::Map(m));
    v.insert("t", Value::str_marked("pre-{{ .Values.s }}", ext(9)));
    v.insert("sp", Value::str_marked("  pad  ", ext(10)));
    v.insert("name", Value::str_marked("My App", ext(11)));
    let top = Map::new();
    top.insert("Values", Value::Map(v));
    Value::Map(top)
}

fn render(tmpl: &str) -> Rendered {
    let mut set = TemplateSet::new();
    set.add("t", tmpl, TID).expect("parse");
    set.add(
        "_h",
        r#"{{- define "h.echo" -}}<{{ . }}>{{- end -}}{{- define "h.lit" -}}fixed: 42{{- end -}}"#,
        99,
    )
    .expect("parse helper");
    set.execute("t", &values(), &Limits::default())
        .expect("render")
}

/// The marks covering exactly the first occurrence of `needle` in the output.
fn marks_exact(r: &Rendered, needle: &str) -> Vec<Mark> {
    let i = r
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {:?}", r.text));
    let want = i..i + needle.len();
    r.marks
        .iter()
        .filter(|(rg, _)| *rg == want)
        .map(|(_, m)| m.clone())
        .collect()
}

fn assert_exact(r: &Rendered, needle: &str, m: Mark) {
    let got = marks_exact(r, needle);
    assert!(
        got.contains(&m),
        "{needle:?} in {:?}: marks {:?}, all {:?}",
        r.text,
        got,
        r.marks
    );
}

/// Some mark range covering the whole needle carries `m`.
fn assert_covers(r: &Rendered, needle: &str, m: Mark) {
    let i = r
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {:?}", r.text));
    let ok = r
        .marks
        .iter()
        .any(|(rg, mk)| rg.start <= i && i + needle.len() <= rg.end && *mk == m);
    assert!(
        ok,
        "{needle:?} in {:?} not covered by {:?}: {:?}",
        r.text, m, r.marks
    );
}

fn assert_unmarked(r: &Rendered, needle: &str) {
    let i = r.text.find(needle).expect("needle");
    let hit = r
        .marks
        .iter()
        .any(|(rg, _)| rg.start < i + needle.len() && i < rg.end);
    assert!(!hit, "{needle:?} should carry no mark: {:?}", r.marks);
}

#[test]
fn plain_value_keeps_mark() {
    let r = render("a: {{ .Values.s }}");
    assert_eq!(r.text, "a: secret");
    assert_exact(&r, "secret", Mark::External(1));
    assert_unmarked(&r, "a: ");
}

#[test]
fn numbers_and_bools_keep_marks() {
    let r = render("{{ .Values.n }} {{ .Values.f }} {{ .Values.b }}");
    assert_eq!(r.text, "8080 1.5 true");
    assert_exact(&r, "8080", Mark::External(2));
    assert_exact(&r, "1.5", Mark::External(3));
    assert_exact(&r, "true", Mark::External(4));
}

#[test]
fn template_literal_marks_the_literal_span() {
    let src = "port: {{ default 8080 .Values.missing }}";
    let r = render(src);
    assert_eq!(r.text, "port: 8080");
    let lit = src.find("8080").unwrap() as u32;
    assert_exact(
        &r,
        "8080",
        Mark::Template {
            template: TID,
            span: lit..lit + 4,
        },
    );
    // a string literal maps byte-exactly inside its quotes
    let src2 = r#"x: {{ "nginx" | upper }}"#;
    let r2 = render(src2);
    let p = src2.find("nginx").unwrap() as u32;
    assert_exact(
        &r2,
        "NGINX",
        Mark::Template {
            template: TID,
            span: p..p + 5,
        },
    );
}

#[test]
fn default_prefers_supplied_value() {
    let r = render("{{ default 1 .Values.n }}");
    assert_exact(&r, "8080", Mark::External(2));
}

#[test]
fn literal_spans_cover_text_and_actions() {
    let src = "a{{ .Values.s }}b";
    let r = render(src);
    assert_eq!(r.text, "asecretb");
    let spans: Vec<(std::ops::Range<usize>, std::ops::Range<u32>)> = r
        .literal
        .iter()
        .map(|(o, s)| (o.clone(), s.span.clone()))
        .collect();
    assert_eq!(spans, vec![(0..1, 0..1), (1..7, 1..16), (7..8, 16..17)]);
    assert!(r.literal.iter().all(|(_, s)| s.template == TID));
}

#[test]
fn quote_and_squote() {
    let r = render("{{ quote .Values.s }} {{ squote .Values.s }} {{ .Values.n | quote }}");
    assert_eq!(r.text, r#""secret" 'secret' "8080""#);
    assert_exact(&r, "secret", Mark::External(1));
    assert_covers(&r, "8080", Mark::External(2));
    // quoting that escapes marks the whole quoted piece
    let r = render("{{ quote .Values.multi }}");
    assert_eq!(r.text, r#""a\nb""#);
    assert_exact(&r, r#""a\nb""#, Mark::External(5));
}

#[test]
fn printf_print_cat() {
    let r = render(
        r#"{{ printf "%s:%d/%v" .Values.s 1 .Values.n }}|{{ print "x" .Values.s }}|{{ cat .Values.s .Values.b }}"#,
    );
    assert_eq!(r.text, "secret:1/8080|xsecret|secret true");
    assert_exact(&r, "secret", Mark::External(1));
    assert_covers(&r, "8080", Mark::External(2));
    let i = r.text.rfind("true").unwrap();
    assert!(
        r.marks
            .iter()
            .any(|(rg, m)| *rg == (i..i + 4) && *m == Mark::External(4))
    );
    let r = render(r#"{{ printf "%10s|" .Values.s }}"#);
    assert_covers(&r, "secret", Mark::External(1));
}

#[test]
fn indent_nindent_keep_line_marks() {
    let r = render("x:{{ .Values.multi | nindent 4 }}");
    assert_eq!(r.text, "x:\n    a\n    b");
    assert_exact(&r, "a\n", Mark::External(5));
    let i = r.text.rfind('b').unwrap();
    assert!(
        r.marks
            .iter()
            .any(|(rg, m)| *rg == (i..i + 1) && *m == Mark::External(5))
    );
    let r = render("{{ indent 2 .Values.s }}");
    assert_exact(&r, "secret", Mark::External(1));
}

#[test]
fn trim_family_and_case() {
    let r = render(
        "[{{ trim .Values.sp }}][{{ trimPrefix \"sec\" .Values.s }}][{{ trimSuffix \"ret\" .Values.s }}][{{ upper .Values.s }}][{{ trunc 3 .Values.s }}][{{ substr 1 3 .Values.s }}]",
    );
    assert_eq!(r.text, "[pad][ret][sec][SECRET][sec][ec]");
    assert_exact(&r, "pad", Mark::External(10));
    assert_exact(&r, "ret", Mark::External(1));
    assert_exact(&r, "SECRET", Mark::External(1));
    let i = r.text.rfind("ec").unwrap();
    assert!(
        r.marks
            .iter()
            .any(|(rg, m)| *rg == (i..i + 2) && *m == Mark::External(1))
    );
}

#[test]
fn replace_keeps_kept_parts_and_marks_inserted() {
    let r = render(r#"{{ replace "e" (toString .Values.b) .Values.s }}"#);
    // "secret" with "e" -> "true"
    assert_eq!(r.text, "struecrtruet");
    assert_exact(&r, "s", Mark::External(1));
    assert_exact(&r, "true", Mark::External(4));
    let r = render(r#"{{ .Values.name | replace " " "-" | lower }}"#);
    assert_eq!(r.text, "my-app");
    assert_exact(&r, "my", Mark::External(11));
    assert_exact(
        &r,
        "-",
        Mark::Template {
            template: TID,
            span: 31..32,
        },
    );
}

#[test]
fn derived_strings_mark_whole_output() {
    let r =
        render("{{ b64enc .Values.s }}|{{ sha256sum .Values.s }}|{{ .Values.name | kebabcase }}");
    let b64 = "c2VjcmV0";
    assert!(r.text.starts_with(b64));
    assert_exact(&r, b64, Mark::External(1));
    let sha = r.text.split('|').nth(1).unwrap().to_string();
    assert_eq!(sha.len(), 64);
    assert_exact(&r, &sha, Mark::External(1));
    assert_exact(&r, "my-app", Mark::External(11));
}

#[test]
fn derived_from_several_inputs_carries_all() {
    let r = render(r#"{{ printf "%s:%s" .Values.s .Values.name | b64enc }}"#);
    let got = marks_exact(&r, &r.text.clone());
    assert!(
        got.contains(&Mark::External(1)) && got.contains(&Mark::External(11)),
        "{:?}",
        r.marks
    );
}

#[test]
fn join_split_list_elements() {
    let r = render(
        r#"{{ join "," .Values.list }}|{{ (split "c" .Values.s)._1 }}|{{ index .Values.list 1 }}|{{ first .Values.list }}"#,
    );
    assert_eq!(r.text, "x,y|ret|y|x");
    assert_exact(&r, "x", Mark::External(6));
    assert_exact(&r, "y", Mark::External(7));
    assert_exact(&r, "ret", Mark::External(1));
}

#[test]
fn to_yaml_marks() {
    let r = render(
        "{{ toYaml .Values.map }}|{{ toYaml (dict \"port\" .Values.n \"flag\" .Values.b \"list\" .Values.list) }}",
    );
    assert_eq!(r.text, "k: v|flag: true\nlist:\n- x\n- \"y\"\nport: 8080");
    assert_exact(&r, "k", Mark::External(80));
    assert_exact(&r, "v", Mark::External(8));
    assert_exact(&r, "true", Mark::External(4));
    assert_exact(&r, "8080", Mark::External(2));
    assert_exact(&r, "x", Mark::External(6));
    // quoted scalar: the whole quoted piece carries the mark
    assert_exact(&r, "\"y\"", Mark::External(7));
    let r = render("{{ toYaml .Values.multi | nindent 2 }}");
    assert_eq!(r.text, "\n  |-\n    a\n    b");
    assert_covers(&r, "|-", Mark::External(5));
    assert_covers(&r, "a", Mark::External(5));
    assert_covers(&r, "b", Mark::External(5));
}

#[test]
fn to_json_marks() {
    let r = render("{{ toJson .Values.map }}|{{ toJson (list .Values.n .Values.s) }}");
    assert_eq!(r.text, r#"{"k":"v"}|[8080,"secret"]"#);
    assert_exact(&r, "k", Mark::External(80));
    assert_exact(&r, "v", Mark::External(8));
    assert_exact(&r, "8080", Mark::External(2));
    assert_exact(&r, "secret", Mark::External(1));
}

#[test]
fn include_keeps_value_marks_and_marks_helper_text() {
    let r = render(r#"{{ include "h.echo" .Values.s }}|{{ include "h.lit" . }}"#);
    assert_eq!(r.text, "<secret>|fixed: 42");
    assert_exact(&r, "secret", Mark::External(1));
    // text of the helper is a template literal of the helper's file
    let i = r.text.find("fixed: 42").unwrap();
    assert!(
        r.marks.iter().any(|(rg, m)| rg.start <= i
            && i + 9 <= rg.end
            && matches!(m, Mark::Template { template: 99, .. })),
        "{:?}",
        r.marks
    );
    assert_exact(
        &r,
        "<",
        Mark::Template {
            template: 99,
            span: 23..24,
        },
    );
    assert_exact(
        &r,
        ">",
        Mark::Template {
            template: 99,
            span: 31..32,
        },
    );
}

#[test]
fn tpl_maps_text_back_to_the_marked_string() {
    let r = render("{{ tpl .Values.t . }}");
    assert_eq!(r.text, "pre-secret");
    assert_exact(&r, "pre-", Mark::External(9));
    assert_exact(&r, "secret", Mark::External(1));
}

#[test]
fn variables_range_with_keep_marks() {
    let r = render(
        "{{ $x := .Values.s }}{{ range .Values.list }}{{ . }}{{ end }}{{ with .Values.map }}{{ .k }}{{ end }}{{ $x }}",
    );
    assert_eq!(r.text, "xyvsecret");
    assert_exact(&r, "x", Mark::External(6));
    assert_exact(&r, "v", Mark::External(8));
    assert_exact(&r, "secret", Mark::External(1));
    let r = render("{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }}{{ end }}");
    assert_exact(&r, "k", Mark::External(80));
}

#[test]
fn dict_set_and_get_keep_marks() {
    let r = render(
        r#"{{ $d := dict "a" .Values.s }}{{ $_ := set $d "b" .Values.n }}{{ get $d "a" }} {{ $d.b }}"#,
    );
    assert_exact(&r, "secret", Mark::External(1));
    assert_exact(&r, "8080", Mark::External(2));
}

#[test]
fn no_value_removal_remaps_marks() {
    let r = render("{{ .Values.missing }}{{ .Values.s }}");
    assert_eq!(r.text, "secret");
    assert_exact(&r, "secret", Mark::External(1));
}

#[test]
fn adjacent_equal_marks_merge() {
    let r = render("{{ .Values.s }}");
    assert_eq!(r.marks.len(), 1);
    let r = render(r#"{{ printf "%s%s" .Values.s .Values.s }}"#);
    assert_eq!(r.marks.len(), 1, "{:?}", r.marks);
    assert_eq!(r.marks[0].0, 0..12);
}

#[test]
fn conversions_keep_marks() {
    let r = render("{{ int .Values.n }} {{ toString .Values.n }} {{ float64 .Values.n }}");
    assert_eq!(r.text, "8080 8080 8080");
    for (i, _) in r.text.match_indices("8080") {
        assert!(
            r.marks
                .iter()
                .any(|(rg, m)| *rg == (i..i + 4) && *m == Mark::External(2)),
            "{:?}",
            r.marks
        );
    }
}

#[test]
fn regex_replace_and_find_keep_marks() {
    let r =
        render(r#"{{ regexReplaceAll "[aeiou]" .Values.s "_" }}|{{ regexFind "cr.t" .Values.s }}"#);
    assert_eq!(r.text, "s_cr_t|cret");
    assert_exact(&r, "s", Mark::External(1));
    assert_exact(&r, "cret", Mark::External(1));
}

#[test]
fn files_get_marks_from_files() {
    use plumbline::render::helm::template::{ChartInput, Files, RenderOptions, render_chart};
    let meta = Map::new();
    meta.insert("name", Value::str("c"));
    meta.insert("version", Value::str("1.0.0"));
    let mut files = Files::new(
        [("conf/a.txt".to_string(), b"hello".to_vec())]
            .into_iter()
            .collect(),
    );
    files.marks.insert("conf/a.txt".into(), Mark::External(42));
    let chart = ChartInput {
        metadata: meta,
        templates: vec![(
            "templates/x.yaml".into(),
            "d: {{ .Files.Get \"conf/a.txt\" | b64enc }}".into(),
        )],
        files,
        subcharts: vec![],
    };
    let r = render_chart(&chart, &Map::new(), &RenderOptions::default());
    let out = r.outputs[0].1.as_ref().expect("ok");
    assert_eq!(out.text, "d: aGVsbG8=");
    assert_exact(out, "aGVsbG8=", Mark::External(42));
    // template ids map back to files
    assert_eq!(
        r.sources.get(&0).map(|s| s.0.as_str()),
        Some("c/templates/x.yaml")
    );
}
