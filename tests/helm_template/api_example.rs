//! The usage example of REPORT.md, kept compiling and passing.

use plumbline::render::helm::template::{
    ChartInput, Files, Map, Mark, PreparedChart, RenderOptions, Value, load_yaml, render_chart,
};

#[test]
fn render_a_chart_and_read_back_marks() {
    // 1. Values with provenance: every scalar gets Mark::External(id); here id = byte offset.
    let values_yaml = "image:\n  repository: nginx\n  tag: \"1.25\"\nreplicas: 3\n";
    let values = match load_yaml(values_yaml, &mut |start, _end| {
        Some(Mark::External(start as u32))
    }) {
        Ok(Value::Map(m)) => m,
        _ => unreachable!("values are a map"),
    };

    // 2. The chart as plain data (Chart.yaml as a map, template texts, other files).
    let metadata = match load_yaml(
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        &mut |_, _| None,
    ) {
        Ok(Value::Map(m)) => m,
        _ => Map::new(),
    };
    let chart = ChartInput {
        metadata,
        templates: vec![
            (
                "templates/_helpers.tpl".into(),
                r#"{{- define "web.image" -}}{{ .repository }}:{{ .tag | default "latest" }}{{- end -}}"#.into(),
            ),
            (
                "templates/deploy.yaml".into(),
                "replicas: {{ .Values.replicas }}\nimage: {{ include \"web.image\" .Values.image | quote }}\n"
                    .into(),
            ),
        ],
        files: Files::default(),
        subcharts: vec![],
    };

    // 3. Render like `helm template web ./chart`.
    let opts = RenderOptions {
        release_name: "web".into(),
        ..Default::default()
    };
    let result = render_chart(&chart, &values, &opts);
    let (name, out) = &result.outputs[0];
    assert_eq!(name, "web/templates/deploy.yaml");
    let out = out.as_ref().expect("rendered");
    assert_eq!(out.text, "replicas: 3\nimage: \"nginx:1.25\"\n");

    // 4. Where did "1.25" come from? The values.yaml byte offset of the tag value.
    let (range, marks) = out.find("1.25").expect("tag in output");
    assert_eq!(&out.text[range], "1.25");
    assert_eq!(
        marks,
        vec![&Mark::External(values_yaml.find("\"1.25\"").unwrap() as u32)]
    );

    // The ':' between repository and tag was written by the helper's text: a Template mark
    // whose id maps back to the helper file through `result.sources`.
    let (_, marks) = out.find(":1").expect("colon");
    let Some(Mark::Template { template, span }) = marks.first().map(|m| (*m).clone()) else {
        panic!("expected a template mark, got {marks:?}")
    };
    let (file, text) = &result.sources[&template];
    assert_eq!(file, "web/templates/_helpers.tpl");
    assert_eq!(&text[span.start as usize..span.end as usize], ":");

    // 5. Parse once, render per environment.
    let prepared = PreparedChart::new(&chart, &opts);
    // (maps are shared references: load a separate tree per environment)
    let prod = match load_yaml("image:\n  repository: nginx\nreplicas: 5\n", &mut |s, _| {
        Some(Mark::External(9000 + s as u32))
    }) {
        Ok(Value::Map(m)) => m,
        _ => unreachable!(),
    };
    let r = prepared.render(&prod, &opts);
    let out = r.outputs[0].1.as_ref().expect("rendered");
    assert!(out.text.starts_with("replicas: 5\n"));
    assert_eq!(
        out.find("5").map(|(_, m)| m),
        Some(vec![&Mark::External(9000 + 37)])
    );
    assert!(out.text.contains("nginx:latest"));
}
