//! RES040 bicep-container-app-resources: a Bicep container app or job container without
//! `resources.cpu` and `resources.memory`, or an app whose containers' CPU and memory add up
//! to a pair the Consumption plan refuses (memory must be 2 GiB per core, in 0.25-core steps
//! up to 4 cores).

use crate::model::bicep::{Kind, containers};
use crate::model::quantity;
use crate::render::bicep::Scope;
use crate::render::bicep::syntax::{Expr, ExprKind};
use crate::rules::bicep::{Once, document};
use crate::rules::{FileContext, Rule, Sink};

pub struct BicepContainerAppResources;

const GIB: i128 = 1 << 30;
const NANO: i128 = 1_000_000_000;

/// CPU cores in nano-cores: `1`, `json('0.5')`, `any('0.25')`, `'0.5'`.
fn cpu(scope: &Scope<'_>, e: &Expr) -> Option<i128> {
    let v = scope.value(e);
    match &v.kind {
        ExprKind::Int(i) => i128::from(*i).checked_mul(NANO),
        ExprKind::Call { args, .. }
            if matches!(v.call_name(), Some("json" | "any" | "float")) && args.len() == 1 =>
        {
            cpu(scope, args.first()?)
        }
        _ => quantity::parse(&scope.text(v)?.literal()?),
    }
}

/// Memory in nano-bytes: `'1Gi'`, `'1.5Gi'`, `'512Mi'`.
fn memory(scope: &Scope<'_>, e: &Expr) -> Option<i128> {
    quantity::parse(&scope.text(e)?.literal()?)
}

fn show_cores(nano: i128) -> String {
    let hundredths = nano / (NANO / 100);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

impl Rule for BicepContainerAppResources {
    fn check_file(&self, ctx: &FileContext<'_>, sink: &mut Sink<'_>) {
        let Some(doc) = document(ctx) else { return };
        let mut once = Once::default();
        for scope in doc.scopes() {
            let all = containers(&scope);
            for c in all
                .iter()
                .filter(|c| matches!(c.kind, Kind::ContainerApp | Kind::Job))
            {
                let res = c.spec.get("resources").map(|r| scope.value(r));
                let missing: Vec<&str> = ["cpu", "memory"]
                    .into_iter()
                    .filter(|k| res.and_then(|r| r.get(k)).is_none())
                    .collect();
                // A `resources` that is not an object literal (a param) is unknown.
                if missing.is_empty() || res.is_some_and(|r| !matches!(r.kind, ExprKind::Object(_)))
                {
                    continue;
                }
                let at = match c.spec.entry("resources") {
                    Some((k, _)) => crate::source::Origin::new(scope.file, k.span),
                    None => c.anchor(&scope),
                };
                once.report(
                    sink,
                    &at,
                    format!(
                        "{} sets no `resources.{}`, so it gets the platform default instead of a size you chose",
                        c.describe(&scope),
                        missing.join("` or `resources.")
                    ),
                );
            }
            // Pairs: per app on the Consumption plan, over its main containers.
            for r in scope.doc.resources() {
                // A dedicated workload profile (or one we cannot read) allows other pairs.
                if let Some(p) = r.prop(&["workloadProfileName"]) {
                    let name = scope.text(p).and_then(|t| t.literal());
                    if !name.is_some_and(|n| n.eq_ignore_ascii_case("Consumption")) {
                        continue;
                    }
                }
                let mine: Vec<_> = all
                    .iter()
                    .filter(|c| {
                        !c.init
                            && c.kind != Kind::ContainerGroup
                            && std::ptr::eq(c.resource.stmt, r.stmt)
                    })
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let mut total = (0i128, 0i128);
                let mut known = true;
                for c in &mine {
                    let res = c.spec.get("resources").map(|r| scope.value(r));
                    match (
                        res.and_then(|r| r.get("cpu")).and_then(|e| cpu(&scope, e)),
                        res.and_then(|r| r.get("memory"))
                            .and_then(|e| memory(&scope, e)),
                    ) {
                        (Some(a), Some(b)) => total = (total.0 + a, total.1 + b),
                        _ => known = false,
                    }
                }
                let (cores, mem) = total;
                let quarter = NANO / 4;
                let valid = cores > 0
                    && cores % quarter == 0
                    && cores <= 4 * NANO
                    && mem == 2 * cores * GIB;
                if !known || valid {
                    continue;
                }
                let Some(first) = mine.first() else { continue };
                let Some(res) = first.spec.get("resources").map(|x| scope.value(x)) else {
                    continue;
                };
                let at = crate::source::Origin::new(scope.file, res.span);
                let total_mem = format!("{}Gi", show_cores(mem / GIB));
                once.report(
                    sink,
                    &at,
                    format!(
                        "{} `{}` requests {} CPU and {} memory in total, a pair the Consumption plan does not accept (0.25 to 4 cores in 0.25 steps, with 2Gi per core: {} CPU needs {}Gi)",
                        first.kind.noun(),
                        r.symbol.name,
                        show_cores(cores),
                        total_mem,
                        show_cores(cores),
                        show_cores(cores * 2)
                    ),
                );
            }
        }
    }
}
