//! Shared reading of a Bicep template for the Bicep rules: the document of the context, and
//! reporting once per value however many parameter files deploy the template (the containers
//! of container apps, jobs and container groups are [`crate::model::bicep`]).

use std::collections::HashSet;

use crate::finding::Finding;
use crate::model::Document;
use crate::render::bicep;
use crate::rules::{FileContext, Sink};
use crate::source::Origin;

/// The Bicep template of the context (parameter files are read as part of their template).
pub fn document<'a>(ctx: &FileContext<'a>) -> Option<&'a bicep::Document> {
    match ctx.doc {
        Document::Bicep(d) => Some(d),
        _ => None,
    }
}

/// Reports each location once, although a template is checked once per parameter file.
#[derive(Default)]
pub struct Once {
    seen: HashSet<(String, usize, usize)>,
}

impl Once {
    /// Reports at `at` unless something was already reported there.
    pub fn report<'s>(
        &mut self,
        sink: &'s mut Sink<'_>,
        at: &Origin,
        message: String,
    ) -> Option<&'s mut Finding> {
        let key = (at.file.display_path.clone(), at.span.start, at.span.end);
        self.seen.insert(key).then(|| sink.report_at(at, message))
    }
}

/// [`is_secret_name`](crate::model::secret::is_secret_name) with the names Bicep templates
/// use for things that are not secrets: the name of a Key Vault secret that will hold one
/// (`connectionStringKey`, `adminPasswordKey`), settings about secrets
/// (`accessKeysAuthentication`, `passwordAuth`, `secretPrefix`), token counts
/// (`azureOpenAIMaxTokens`) and Application Insights connection strings, which Microsoft
/// documents as not secret.
pub fn is_secret_name(name: &str) -> bool {
    let flat: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const NOT: &[&str] = &[
        "connectionstringkey",
        "passwordkey",
        "secretkeyname",
        "tokens",
        "authentication",
        "auth",
        "prefix",
        "suffix",
    ];
    if NOT.iter().any(|s| flat.ends_with(s))
        || flat.contains("insights")
        || flat.contains("instrumentation")
    {
        return false;
    }
    crate::model::secret::is_secret_name(name)
}
