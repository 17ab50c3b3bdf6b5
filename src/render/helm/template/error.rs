//! Errors of parsing and executing templates, and the bounds on one render. Shared by the
//! executor and the function table (which must not depend on the executor itself).

/// Resource bounds for one render (templates are hostile input).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Nesting of one `include`d name (Helm: 1000).
    pub max_include_depth: u32,
    /// Nesting of `tpl` calls.
    pub max_tpl_depth: u32,
    /// Range iterations in one execution.
    pub max_range_iterations: u64,
    /// Output bytes of one execution (a template file, an include, a tpl).
    pub max_output_bytes: usize,
    /// Evaluation steps (commands and nodes) in one execution.
    pub max_steps: u64,
    /// Approximate native stack the executor may use (bytes); deeper nesting is an error.
    pub max_stack_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_include_depth: 1000,
            max_tpl_depth: 100,
            max_range_iterations: 1_000_000,
            max_output_bytes: 64 << 20,
            max_steps: 20_000_000,
            max_stack_bytes: 1 << 20,
        }
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template text is not valid.
    Parse,
    /// Go's executor would fail (type errors, function errors).
    Exec,
    /// What the chart refers to is not there: a template name no template defines
    /// (`include`, `template`), a field of a value that does not exist (Go's `nil pointer
    /// evaluating`). What a parent's templates say when a dependency they use is not
    /// vendored; otherwise an error like [`ErrorKind::Exec`], with the same text.
    Undefined,
    /// `fail` or `required` stopped the render: `message` is the user's text.
    Fail,
    /// A resource bound of [`Limits`] was hit.
    Limit,
}

/// An error with Go's text (`template: NAME:LINE:COL: ...`) and Helm's rendering of it.
#[derive(Clone, Debug)]
pub struct Error {
    pub kind: ErrorKind,
    /// The error as Go's `text/template` prints it (with Helm's wrappers inside).
    pub go: String,
    /// Source name, line and column (0-based byte column, as Go prints) of the outermost location.
    pub location: Option<(String, usize, usize)>,
    /// For `Fail`: the user's message.
    pub message: String,
}

impl Error {
    /// The error as `helm template` prints it (after Helm's `cleanupExecError`/`cleanupParseError`).
    pub fn helm(&self) -> String {
        match self.kind {
            ErrorKind::Parse => {
                let toks: Vec<&str> = self.go.split(": ").collect();
                if toks.len() == 1 {
                    return self.go.clone();
                }
                format!("parse error at ({}): {}", toks[1], toks[toks.len() - 1])
            }
            _ => {
                let toks: Vec<&str> = self.go.splitn(3, ": ").collect();
                if toks.len() != 3 || !self.go.starts_with("template: ") {
                    return self.go.clone();
                }
                if let (Some(a), Some(b)) = (toks[2].find(WARN_START), toks[2].rfind(WARN_END))
                    && a + WARN_START.len() <= b
                {
                    return format!(
                        "execution error at ({}): {}",
                        toks[1],
                        &toks[2][a + WARN_START.len()..b]
                    );
                }
                self.go.clone()
            }
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.helm())
    }
}

impl std::error::Error for Error {}

pub const WARN_START: &str = "HELM_ERR_START";
pub const WARN_END: &str = "HELM_ERR_END";
