//! Shared reading of a Bicep template for the Bicep rules: the document of the context, the
//! containers of container apps, jobs and container groups, and reporting once per value
//! however many parameter files deploy the template.

use std::collections::HashSet;

use crate::finding::Finding;
use crate::parse::Document;
use crate::parse::bicep::syntax::Expr;
use crate::parse::bicep::{self, Resource, Scope};
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

/// What kind of resource runs a container, as the messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ContainerApp,
    Job,
    ContainerGroup,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::ContainerApp => "Container app",
            Kind::Job => "Container Apps job",
            Kind::ContainerGroup => "Container group",
        }
    }
}

/// One container of a container app, job or container group.
pub struct AppContainer<'d> {
    pub resource: Resource<'d>,
    pub kind: Kind,
    /// The container's object. For a container group: the object holding `name` and
    /// `properties`; read [`AppContainer::spec`] for the image and resources.
    pub object: &'d Expr,
    /// Where the image, resources and ports are (`properties` for a container group).
    pub spec: &'d Expr,
    /// Whether this is an init container.
    pub init: bool,
}

impl<'d> AppContainer<'d> {
    /// `` Container app `app` container `web` ``, naming what is known.
    pub fn describe(&self, scope: &Scope<'d>) -> String {
        let name = self
            .object
            .get("name")
            .and_then(|n| scope.text(n))
            .and_then(|t| t.literal());
        let what = if self.init {
            "init container"
        } else {
            "container"
        };
        match name {
            Some(n) => format!(
                "{} `{}` {what} `{n}`",
                self.kind.noun(),
                self.resource.symbol.name
            ),
            None => format!(
                "{} `{}` {what}",
                self.kind.noun(),
                self.resource.symbol.name
            ),
        }
    }

    /// Where to point when something of the container is missing: its `name` value, else its
    /// object.
    pub fn anchor(&self, scope: &Scope<'d>) -> Origin {
        let span = self.object.get("name").map_or(self.object.span, |n| n.span);
        Origin::new(scope.file, span)
    }
}

/// The containers of the template's container apps, jobs and container groups, in a scope.
pub fn containers<'d>(scope: &Scope<'d>) -> Vec<AppContainer<'d>> {
    let mut out = Vec::new();
    for r in scope.doc.resources().filter(|r| !r.existing) {
        let (kind, lists): (Kind, &[(&[&str], bool)]) = if r.is("Microsoft.App/containerApps") {
            (
                Kind::ContainerApp,
                &[
                    (&["template", "containers"], false),
                    (&["template", "initContainers"], true),
                ],
            )
        } else if r.is("Microsoft.App/jobs") {
            (
                Kind::Job,
                &[
                    (&["template", "containers"], false),
                    (&["template", "initContainers"], true),
                ],
            )
        } else if r.is("Microsoft.ContainerInstance/containerGroups") {
            (
                Kind::ContainerGroup,
                &[(&["containers"], false), (&["initContainers"], true)],
            )
        } else {
            continue;
        };
        for (path, init) in lists {
            let Some(list) = r.prop(path) else { continue };
            for object in scope.items(list) {
                let spec = if kind == Kind::ContainerGroup {
                    match object.get("properties") {
                        Some(p) => scope.value(p),
                        None => continue,
                    }
                } else {
                    object
                };
                out.push(AppContainer {
                    resource: r,
                    kind,
                    object,
                    spec,
                    init: *init,
                });
            }
        }
    }
    out
}

/// [`is_secret_name`](crate::rules::secrets::is_secret_name) with the names Bicep templates
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
    crate::rules::secrets::is_secret_name(name)
}
