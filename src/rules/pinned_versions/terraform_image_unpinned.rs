//! PIN054 terraform-image-unpinned: a container image with no tag or the `latest` tag in
//! the Azure and Docker resources that run one: `azurerm_container_app` (and `_job`),
//! `azurerm_container_group`, `azurerm_linux_web_app` (`application_stack`),
//! `docker_container` and `docker_image`. The image may come through a variable or a local;
//! the finding is then at the literal (a `default`, a `.tfvars` value), with the attribute
//! as a related location. Values that other `.tfvars` files (read with `-var-file`) give
//! the variable an image attribute uses directly are checked too. `kubernetes_*` workloads
//! are PIN020's.

use crate::model::workload::is_templated;
use crate::parse::dockerfile::ImageRef;
use crate::render::terraform::{Attribute, Block, Module, Resource, Value};
use crate::rules::terraform::{each_module, report_resolved};
use crate::rules::{FileContext, Rule, Sink};

pub struct TerraformImageUnpinned;

impl Rule for TerraformImageUnpinned {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        each_module(ctx, sink, |m, sink| {
            for r in &m.resources {
                if r.data {
                    continue;
                }
                for (attr, tag) in images(r) {
                    check(m, r, attr, tag, sink);
                }
            }
        });
    }
}

/// The image attributes of a resource, each with its separate tag attribute when the
/// resource has one (`docker_image` + `docker_image_tag` in the older web app schema).
pub fn images(r: &Resource) -> Vec<(&Attribute, Option<&Attribute>)> {
    let body = r.body();
    match r.kind.value.as_str() {
        "azurerm_container_app" | "azurerm_container_app_job" => body
            .blocks_of("template")
            .flat_map(containers)
            .map(|a| (a, None))
            .collect(),
        "azurerm_container_group" => containers(&r.block)
            .into_iter()
            .map(|a| (a, None))
            .collect(),
        // With `build`, `name` is the tag of the image Docker builds, not one it pulls.
        "docker_image" if body.block("build").is_none() => {
            body.get("name").map(|a| (a, None)).into_iter().collect()
        }
        "docker_container" => body.get("image").map(|a| (a, None)).into_iter().collect(),
        "azurerm_linux_web_app" | "azurerm_linux_web_app_slot" | "azurerm_linux_function_app" => {
            body.blocks_of("site_config")
                .flat_map(|s| s.body.blocks_of("application_stack"))
                .filter_map(|st| {
                    if let Some(a) = st.body.get("docker_image_name") {
                        Some((a, None))
                    } else {
                        st.body
                            .get("docker_image")
                            .map(|a| (a, st.body.get("docker_image_tag")))
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The `image` of each `container` and `init_container` block of `b`.
fn containers(b: &Block) -> Vec<&Attribute> {
    b.body
        .blocks
        .iter()
        .filter(|c| c.kind.value == "container" || c.kind.value == "init_container")
        .filter_map(|c| c.body.get("image"))
        .collect()
}

fn check(m: &Module, r: &Resource, attr: &Attribute, tag: Option<&Attribute>, sink: &mut Sink<'_>) {
    check_value(m, r, attr, &m.resolve(&attr.value), tag, sink);
    // `image = var.x`: each `-var-file` value of `x` is a deployment of this resource.
    if tag.is_none()
        && let Some(["var", name]) = attr.value.ref_names().as_deref()
    {
        for v in m.var_files.iter().filter(|v| v.key.value == *name) {
            check_value(m, r, attr, &m.resolve(&v.value), None, sink);
        }
    }
}

fn check_value(
    m: &Module,
    r: &Resource,
    attr: &Attribute,
    value: &crate::render::terraform::Resolved,
    tag: Option<&Attribute>,
    sink: &mut Sink<'_>,
) {
    let Value::Str(image) = &value.value else {
        return;
    };
    if image.is_empty() || is_templated(image) || image.contains(['<', '>']) {
        return;
    }
    let Some(reference) = ImageRef::parse(image) else {
        return;
    };
    if reference.digest.is_some() {
        return;
    }
    let what = format!("{} `{}`", r.kind.value, r.name.value);
    if let Some(tag) = tag {
        let t = m.resolve(&tag.value);
        let Value::Str(text) = &t.value else { return };
        if text.eq_ignore_ascii_case("latest") {
            report_resolved(
                sink,
                tag,
                &t,
                format!(
                    "{what} runs image `{image}` with the `latest` tag, which moves with every release"
                ),
            );
        }
        return;
    }
    let message = match reference.tag.as_deref() {
        None => format!(
            "{what} runs image `{image}` with no tag, so it pulls whatever `latest` is at deploy time"
        ),
        Some(t) if t.eq_ignore_ascii_case("latest") => {
            format!(
                "{what} runs image `{image}` with the `latest` tag, which moves with every release"
            )
        }
        Some(_) => return,
    };
    report_resolved(sink, attr, value, message);
}
