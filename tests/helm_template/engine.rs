//! Unknown values, limits (hostile templates), error reporting and API behaviour.

use plumbline::render::helm::template::{
    ErrorKind, Limits, Map, Mark, Rendered, TemplateSet, UNKNOWN_TEXT, Value,
};

fn vals() -> Value {
    let v = Map::new();
    v.insert("s", Value::str_marked("secret", Some(Mark::External(1))));
    v.insert("u", Value::unknown("value of u not supplied"));
    v.insert("list", Value::list(vec![Value::str("a"), Value::str("b")]));
    let top = Map::new();
    top.insert("Values", Value::Map(v));
    Value::Map(top)
}

fn render_with(
    tmpl: &str,
    limits: &Limits,
) -> Result<Rendered, plumbline::render::helm::template::Error> {
    let mut set = TemplateSet::new();
    set.add("t", tmpl, 1)?;
    set.execute("t", &vals(), limits)
}

fn render(tmpl: &str) -> Rendered {
    render_with(tmpl, &Limits::default()).expect("render")
}

fn err(tmpl: &str, limits: &Limits) -> plumbline::render::helm::template::Error {
    match render_with(tmpl, limits) {
        Ok(r) => panic!("expected an error, got {:?}", r.text),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------ unknown

#[test]
fn random_values_are_unknown_and_recorded() {
    let r = render("pw: {{ randAlphaNum 10 }}");
    assert_eq!(r.text, format!("pw: {UNKNOWN_TEXT}"));
    assert_eq!(r.unknowns.len(), 1);
    assert_eq!(r.unknowns[0].0, 4..4 + UNKNOWN_TEXT.len());
    assert!(r.unknowns[0].1.contains("randAlphaNum"));
}

#[test]
fn unknown_propagates_through_functions() {
    for t in [
        "{{ randAlphaNum 10 | b64enc }}",
        "{{ uuidv4 | sha256sum }}",
        "{{ genCA \"x\" 365 | toString }}",
        "{{ (genCA \"x\" 365).Cert }}",
        "{{ add 1 (randInt 1 5) }}",
        "{{ .Values.u | upper | b64enc }}",
        "{{ now | date \"2006\" }}",
        "{{ getHostByName \"example.com\" }}",
        "{{ .Values.u.deeper.field }}",
    ] {
        let r = render(t);
        assert_eq!(r.text, UNKNOWN_TEXT, "{t}");
        assert_eq!(r.unknowns.len(), 1, "{t}");
    }
}

#[test]
fn string_builders_keep_known_parts() {
    let r = render(r#"{{ printf "%s-%s" .Values.s .Values.u | quote }}"#);
    assert_eq!(r.text, format!("\"secret-{UNKNOWN_TEXT}\""));
    let i = r.text.find(UNKNOWN_TEXT).unwrap();
    assert_eq!(r.unknowns[0].0, i..i + UNKNOWN_TEXT.len());
    assert_eq!(r.marks_at(1..7).len(), 1);
    let r = render(r#"{{ toYaml (dict "pw" .Values.u "user" "admin") }}"#);
    assert_eq!(r.text, format!("pw: {UNKNOWN_TEXT}\nuser: admin"));
    assert_eq!(r.unknowns.len(), 1);
    let r = render("{{ .Values.u | nindent 2 }}");
    assert_eq!(r.text, format!("\n  {UNKNOWN_TEXT}"));
    assert_eq!(r.unknowns.len(), 1);
}

#[test]
fn partially_unknown_string_to_hash_is_unknown() {
    let r = render(r#"{{ printf "a%s" .Values.u | sha256sum }}"#);
    assert_eq!(r.text, UNKNOWN_TEXT);
}

#[test]
fn control_flow_on_unknown() {
    assert_eq!(
        render("{{ if .Values.u }}yes{{ else }}no{{ end }}").text,
        "yes"
    );
    assert_eq!(render("{{ with .Values.u }}in{{ end }}").text, "in");
    assert_eq!(
        render("{{ range .Values.u }}[{{ . }}]{{ end }}").text,
        format!("[{UNKNOWN_TEXT}]")
    );
    assert_eq!(render("{{ if eq .Values.u \"x\" }}y{{ end }}").text, "y");
}

#[test]
fn defaults_and_requirements_with_unknown() {
    assert_eq!(render("{{ default \"d\" .Values.u }}").text, UNKNOWN_TEXT);
    assert_eq!(
        render("{{ coalesce \"\" .Values.u \"x\" }}").text,
        UNKNOWN_TEXT
    );
    assert_eq!(
        render("{{ required \"need u\" .Values.u }}").text,
        UNKNOWN_TEXT
    );
    assert_eq!(render("{{ empty .Values.u }}").text, UNKNOWN_TEXT);
    let r =
        render("{{ $d := dict \"a\" .Values.u }}{{ hasKey $d \"a\" }} {{ len (list .Values.u) }}");
    assert_eq!(r.text, "true 1");
}

#[test]
fn include_of_unknown_output() {
    let mut set = TemplateSet::new();
    set.add("t", "x: {{ include \"h\" . | indent 2 }}", 1)
        .unwrap();
    set.add("h", "{{ define \"h\" }}pw={{ .Values.u }}{{ end }}", 2)
        .unwrap();
    let r = set.execute("t", &vals(), &Limits::default()).unwrap();
    assert_eq!(r.text, format!("x:   pw={UNKNOWN_TEXT}"));
    assert_eq!(r.unknowns.len(), 1);
    let i = r.text.find(UNKNOWN_TEXT).unwrap();
    assert_eq!(r.unknowns[0].0, i..i + UNKNOWN_TEXT.len());
}

// ------------------------------------------------------------------ limits

#[test]
fn include_recursion_is_a_limit_error() {
    let limits = Limits {
        max_include_depth: 50,
        ..Limits::default()
    };
    let e = err(
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
        &limits,
    );
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(
        e.helm().ends_with(
            "rendering template has a nested reference name: r: unable to execute template"
        ),
        "{}",
        e.helm()
    );
}

#[test]
fn template_recursion_hits_the_stack_limit_not_the_stack() {
    let e = err(
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
        &Limits::default(),
    );
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(e.message.contains("nesting too deep"), "{}", e.message);
}

#[test]
fn deep_parse_nesting_is_bounded() {
    let deep_if = "{{ if true }}".repeat(5000) + &"{{ end }}".repeat(5000);
    let e = err(&deep_if, &Limits::default());
    assert_eq!(e.kind, ErrorKind::Limit);
    let deep_paren = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    let e = err(&deep_paren, &Limits::default());
    assert_eq!(e.kind, ErrorKind::Limit);
}

#[test]
fn range_iterations_are_bounded() {
    let limits = Limits {
        max_range_iterations: 1000,
        ..Limits::default()
    };
    let e = err("{{ range until 100000 }}x{{ end }}", &limits);
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = err(
        "{{ range until 40 }}{{ range until 40 }}x{{ end }}{{ end }}",
        &limits,
    );
    assert_eq!(e.kind, ErrorKind::Limit);
}

#[test]
fn output_size_is_bounded() {
    let limits = Limits {
        max_output_bytes: 10_000,
        ..Limits::default()
    };
    let e = err("{{ repeat 100000 \"x\" }}", &limits);
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = err(
        "{{ $s := \"xxxxxxxxxx\" }}{{ range until 5000 }}{{ $s }}{{ end }}",
        &limits,
    );
    assert_eq!(e.kind, ErrorKind::Limit);
}

#[test]
fn evaluation_steps_are_bounded() {
    let limits = Limits {
        max_steps: 10_000,
        ..Limits::default()
    };
    let e = err(
        "{{ range until 100 }}{{ range until 100 }}{{ $x := 1 }}{{ end }}{{ end }}",
        &limits,
    );
    assert_eq!(e.kind, ErrorKind::Limit);
}

#[test]
fn tpl_nesting_is_bounded() {
    let v = Map::new();
    v.insert("t", Value::str("{{ tpl .Values.t . }}"));
    let top = Map::new();
    top.insert("Values", Value::Map(v));
    let mut set = TemplateSet::new();
    set.add("t", "{{ tpl .Values.t . }}", 1).unwrap();
    let e = set
        .execute(
            "t",
            &Value::Map(top),
            &Limits {
                max_tpl_depth: 20,
                ..Limits::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let limits = Limits::default();
    for t in [
        "{{",
        "}}{{",
        "{{ .a.b.c.d.e.f }}",
        "{{ fromJson (repeat 2000 \"[\") }}",
        "{{ fromYaml (repeat 2000 \"- \") }}",
        "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ toYaml $d | len }}",
        "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ toJson $d | len }}",
        "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ $d | len }}",
        "{{ until 99999999999 | len }}",
        "{{ printf \"%999999999d\" 1 | len }}",
        "{{ regexMatch (repeat 10000 \"(\") \"x\" }}",
        "{{ index (list) 99999999999 }}",
        "{{ substr 5 -1 \"abc\" }}",
        "{{ trunc -99 \"abc\" }}",
        "{{ '\\U0010ffff' }} {{ '\\x00' }} {{ \"\\xff\" }}",
        "{{ 1e400 }} {{ -0x8000000000000000 }} {{ 0x8000000000000000 }}",
        "{{ div 5 0 }}",
        "{{ mod 5 0 }}",
        "{{ chunk 0 (list 1) }}",
        "{{ semverCompare (repeat 300 \"1 - 2 \") \"1.0.0\" }}",
        "{{ b64dec \"////\" | len }}",
        "{{ .Files.Glob \"**/**/**/**/**/**/**/**\" }}",
    ] {
        let _ = render_with(t, &limits);
    }
}

// ------------------------------------------------------------------ errors

#[test]
fn exec_error_has_go_location_and_helm_text() {
    let e = err("a\nb: {{ .Values.missing.x }}", &Limits::default());
    // What is not there (a value, a template name): what a missing dependency causes.
    assert_eq!(e.kind, ErrorKind::Undefined);
    assert_eq!(e.location, Some(("t".to_string(), 2, 13)));
    assert_eq!(
        e.helm(),
        "template: t:2:13: executing \"t\" at <.Values.missing.x>: nil pointer evaluating interface {}.x"
    );
    let e = err("{{ include \"nope\" . }}", &Limits::default());
    assert_eq!(e.kind, ErrorKind::Undefined);
    assert!(e.helm().ends_with("error calling include: template: no template \"nope\" associated with template \"gotpl\""), "{}", e.helm());
    let e = err("{{ template \"nope\" }}", &Limits::default());
    assert_eq!(e.kind, ErrorKind::Undefined);
    assert!(
        e.helm().ends_with("template \"nope\" not defined"),
        "{}",
        e.helm()
    );
    // Other failures of the executor stay `Exec`.
    assert_eq!(
        err("{{ index 1 2 }}", &Limits::default()).kind,
        ErrorKind::Exec
    );
}

#[test]
fn fail_and_required_read_like_helm() {
    let e = err("x\n  {{ fail \"boom\" }}", &Limits::default());
    assert_eq!(e.kind, ErrorKind::Fail);
    assert_eq!(e.message, "boom");
    assert_eq!(e.helm(), "execution error at (t:2:5): boom");
    let mut set = TemplateSet::new();
    set.add("t", "a: {{ include \"h\" . }}", 1).unwrap();
    set.add(
        "h",
        "{{ define \"h\" }}{{ required \"need it\" .Values.none }}{{ end }}",
        2,
    )
    .unwrap();
    let e = set.execute("t", &vals(), &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Fail);
    assert_eq!(e.helm(), "execution error at (t:1:6): need it");
}

#[test]
fn parse_errors_carry_line() {
    let mut set = TemplateSet::new();
    let e = set.add("x.yaml", "a\nb\n{{ if }}", 1).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!(e.go, "template: x.yaml:3: missing value for if");
    assert_eq!(e.helm(), "parse error at (x.yaml:3): missing value for if");
}

#[test]
fn no_value_is_removed_like_helm() {
    assert_eq!(render("[{{ .Values.none }}]").text, "[]");
    assert_eq!(render("{{ print .Values.none }}").text, "<nil>");
}

#[test]
fn maps_are_shared_references() {
    let r = render(
        "{{ $a := dict }}{{ $b := $a }}{{ $_ := set $b \"k\" 1 }}{{ $a }}{{ $_ := merge $a (dict \"m\" 2) }}{{ $b }}",
    );
    assert_eq!(r.text, "map[k:1]map[k:1 m:2]");
}

#[test]
fn later_define_wins_unless_empty() {
    let mut set = TemplateSet::new();
    set.add("a", "{{ define \"x\" }}first{{ end }}", 1).unwrap();
    set.add("b", "{{ define \"x\" }}second{{ end }}", 2)
        .unwrap();
    set.add("c", "{{ define \"x\" }}  {{ end }}", 3).unwrap();
    set.add("t", "{{ include \"x\" . }}", 4).unwrap();
    assert_eq!(
        set.execute("t", &vals(), &Limits::default()).unwrap().text,
        "second"
    );
}

#[test]
fn function_inventory_has_helm_functions_and_not_env() {
    let names = plumbline::render::helm::template::function_names();
    for f in [
        "include",
        "tpl",
        "toYaml",
        "fromYaml",
        "required",
        "lookup",
        "semverCompare",
        "dig",
        "mergeOverwrite",
    ] {
        assert!(names.contains(&f), "{f}");
    }
    assert!(!names.contains(&"env") && !names.contains(&"expandenv"));
}

// ------------------------------------------------------------------ values as Go reads them

/// Go's YAML library (Helm's) accepts a flow collection's closer at the indentation of the key
/// that opened it (bitnami/chainloop's values.yaml); saphyr alone refuses it. The values load,
/// and every scalar's span still points at the file as written.
#[test]
fn values_with_a_flow_closer_at_the_key_indentation_load() {
    use plumbline::render::helm::template::yaml;
    let text = "vault:\n  server:\n    args: [\n      \"server\",\n      \"-dev\"\n    ]\n    env:\n      - name: A\n";
    let mut spans = Vec::new();
    let v = yaml::load(text, &mut |s, e| {
        spans.push(s..e);
        Some(Mark::External(spans.len() as u32 - 1))
    })
    .expect("Helm loads these values");
    let Value::Map(top) = v else { panic!("a map") };
    let Some(Value::Map(vault)) = top.get("vault") else {
        panic!("vault")
    };
    let Some(Value::Map(server)) = vault.get("server") else {
        panic!("server")
    };
    let Some(Value::List(args)) = server.get("args") else {
        panic!("args")
    };
    let args = args.items();
    assert_eq!(args.len(), 2);
    let Value::Str(dev) = &args[1] else {
        panic!("a string")
    };
    assert_eq!(dev.s, "-dev");
    let Some((_, Mark::External(id))) = dev.marks.first() else {
        panic!("marked")
    };
    assert_eq!(&text[spans[*id as usize].clone()], "\"-dev\"");
    assert!(
        server.get("env").is_some(),
        "the mapping goes on after the closer"
    );
    // A quoted value's span ends at its closing quote, not at the blanks and comment after it.
    let text = "image: \"nginx:1.25\"   # pinned\nname: 'it''s'  # c\n";
    let mut spans = Vec::new();
    yaml::load(text, &mut |s, e| {
        spans.push(text[s..e].to_string());
        None
    })
    .unwrap();
    spans.dedup();
    assert_eq!(
        spans,
        [
            "image",
            "\"nginx:1.25\"",
            "image",
            "name",
            "'it''s'",
            "name"
        ]
    );
    // Bad indentation that is not a closer stays Helm's error.
    let e = yaml::load("a:\n  b: 1\n c: 2\n", &mut |_, _| None).unwrap_err();
    assert!(e.starts_with("yaml: line 3:"), "{e}");
}
