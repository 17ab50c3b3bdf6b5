//! The containers of a Bicep template's container apps, jobs and container groups, as a
//! scope (the template with one parameter file) resolves them.

use crate::render::bicep::syntax::Expr;
use crate::render::bicep::{Resource, Scope};
use crate::source::Origin;

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
