//! Random templates built from template tokens must parse or fail cleanly and render or fail
//! cleanly: never a panic, never a stack overflow, bounded time.

use plumbline::render::helm::template::{Limits, Map, TemplateSet, Value};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    "\n",
    "(",
    ")",
    "|",
    ".",
    "$",
    "$x",
    "$x :=",
    "$x =",
    ".Values",
    ".a",
    ".b.c",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-2",
    "1.5",
    "0x1F",
    "1e3",
    "true",
    "nil",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define \"d\"",
    "template \"d\"",
    "block \"b\" .",
    "break",
    "continue",
    "include \"d\" .",
    "tpl \"{{ 1 }}\" .",
    "printf \"%s %d %v\"",
    "default",
    "dict \"k\"",
    "list",
    "set",
    "toYaml",
    "fromYaml \"a: [\"",
    "toJson",
    "fromJson \"{\"",
    "index",
    "len",
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "quote",
    "upper",
    "trunc 2",
    "repeat 3",
    "regexReplaceAll \"(a\"",
    "semverCompare \">1\"",
    "split \",\"",
    "b64enc",
    "sha256sum",
    "until 3",
    "seq 3",
    "required \"r\"",
    "fail \"f\"",
    "/*",
    "*/",
    "{{/*",
    "*/}}",
    "text",
    ",",
    ":=",
    "=",
    "\"\\",
    "{{ else if",
    "$.Values",
    "(dict \"a\" 1).a",
    "merge (dict) .",
    "mergeOverwrite",
    "dig \"a\"",
    "uniq",
    "first",
    "rest",
];

fn values() -> Value {
    let v = Map::new();
    v.insert("a", Value::str("x"));
    let b = Map::new();
    b.insert(
        "c",
        Value::list(vec![Value::Float(1.0, None), Value::str("y")]),
    );
    v.insert("b", Value::Map(b));
    let top = Map::new();
    top.insert("Values", Value::Map(v));
    Value::Map(top)
}

#[test]
fn random_templates_never_panic() {
    let limits = Limits {
        max_steps: 100_000,
        max_range_iterations: 10_000,
        max_output_bytes: 1 << 20,
        ..Limits::default()
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vals = values();
    let (mut parsed, mut rendered) = (0, 0);
    for _ in 0..20_000 {
        let n = 1 + (rng.next() % 24) as usize;
        let mut t = String::new();
        for _ in 0..n {
            t.push_str(rng.pick(TOKENS));
            if rng.next().is_multiple_of(3) {
                t.push(' ');
            }
        }
        let mut set = TemplateSet::new();
        if set.add("t", &t, 1).is_ok() {
            parsed += 1;
            if set.execute("t", &vals, &limits).is_ok() {
                rendered += 1;
            }
        }
    }
    assert!(
        parsed > 100 && rendered > 50,
        "parsed {parsed}, rendered {rendered}"
    );
}

#[test]
fn well_formed_random_actions_never_panic() {
    let funcs = [
        "quote",
        "upper",
        "toYaml",
        "toJson",
        "b64enc",
        "len",
        "not",
        "empty",
        "toString",
        "kindOf",
        "typeOf",
        "first",
        "keys",
        "values",
        "sortAlpha",
        "uniq",
        "compact",
        "fromYaml",
        "fromJson",
        "int",
        "float64",
        "trim",
        "nindent 2",
        "indent 1",
        "default 1",
        "ternary 1 2",
        "hasKey .Values",
        "index .Values",
        "sha1sum",
        "title",
        "toStrings",
        "join \",\"",
        "splitList \",\"",
        "regexFind \"a\"",
        "printf \"%v\"",
        "print",
        "list",
        "dict \"k\"",
        "deepCopy",
    ];
    let args = [
        ".Values",
        ".Values.a",
        ".Values.b",
        ".Values.b.c",
        "1",
        "\"s\"",
        "nil",
        "(list 1 2)",
        "(dict)",
        "1.5",
        "true",
        ".Values.missing",
        "$",
    ];
    let limits = Limits::default();
    let mut rng = Rng(42);
    let vals = values();
    for _ in 0..20_000 {
        let f1 = rng.pick(&funcs);
        let f2 = rng.pick(&funcs);
        let a = rng.pick(&args);
        let t = format!("{{{{ {a} | {f1} | {f2} }}}}{{{{ {f1} {a} }}}}");
        let mut set = TemplateSet::new();
        if set.add("t", &t, 1).is_ok() {
            let _ = set.execute("t", &vals, &limits);
        }
    }
}
