//! Rules: the registry, the catalogue of their documentation, and the context they read.
//!
//! A rule is one file under its family's folder. It reads a parsed document (and, for later
//! cross-file rules, the service graph) and yields findings through a [`Sink`]. Rules never
//! parse, print or touch the file system. Each rule's documentation, family and default
//! severity live in `rules/<ID>.toml` at the repository root, embedded at build time; a test
//! fails when a rule lacks its catalogue entry, docs page or fixtures.

pub mod bicep;
pub mod compose;
pub mod docker;
pub mod non_root;
pub mod pinned_versions;
pub mod probe_port;
pub mod resource_limits;
pub mod secrets;
pub mod terraform;
pub mod workload;

use std::sync::Arc;

pub use crate::catalogue::RuleMeta;

use crate::finding::{Finding, Location, Related};
use crate::model::Document;
use crate::source::{SourceFile, Span};

/// What a rule sees of one file.
pub struct FileContext<'a> {
    pub file: &'a Arc<SourceFile>,
    pub doc: &'a Document,
    /// For a Dockerfile: the `.dockerignore` that applies to its build context, if any.
    pub dockerignore: Option<&'a crate::parse::dockerignore::Dockerignore>,
    /// For a Dockerfile: whether its directory (the build context we assume) holds `.git`,
    /// i.e. is the root of a checkout whose history a `COPY . .` would ship.
    pub context_has_git: bool,
}

/// Collects a rule's findings for one file.
pub struct Sink<'a> {
    meta: &'static RuleMeta,
    file: &'a Arc<SourceFile>,
    findings: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub fn new(meta: &'static RuleMeta, file: &'a Arc<SourceFile>) -> Self {
        Self {
            meta,
            file,
            findings: Vec::new(),
        }
    }

    /// Reports a finding at `span` of the current file and returns it for adding related
    /// locations or secret spans.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding::new(
            self.meta,
            Location {
                file: Arc::clone(self.file),
                span,
            },
            message.into(),
        ));
        self.findings.last_mut().expect("just pushed")
    }

    /// Reports a finding at a value's origin, which may be in another file of the document
    /// (a Compose override, a Helm values overlay).
    pub fn report_at(&mut self, at: &Location, message: impl Into<String>) -> &mut Finding {
        self.findings
            .push(Finding::new(self.meta, at.clone(), message.into()));
        self.findings.last_mut().expect("just pushed")
    }

    /// A related location anywhere.
    pub fn related(&self, at: &Location, message: impl Into<String>) -> Related {
        Related {
            location: at.clone(),
            message: message.into(),
        }
    }

    /// A related location in the current file.
    pub fn related_here(&self, span: Span, message: impl Into<String>) -> Related {
        Related {
            location: Location {
                file: Arc::clone(self.file),
                span,
            },
            message: message.into(),
        }
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// One check. Implementations are unit structs registered in [`registry`]. A rule reads one
/// document at a time (`check_file`), or the service graph of the whole run
/// (`check_graph`, for rules that compare a service's layers across files), or both.
pub trait Rule: Send + Sync {
    /// The stable id, matching `rules/<ID>.toml`.
    fn id(&self) -> &'static str;

    /// Checks one parsed file.
    fn check_file(&self, _ctx: &FileContext<'_>, _sink: &mut Sink<'_>) {}

    /// Checks the services of the run, each linked across its files.
    fn check_graph(&self, _graph: &crate::graph::Graph, _sink: &mut GraphSink) {}
}

/// Collects a cross-file rule's findings: each at the layer that disagrees, with the layers
/// it disagrees with as related locations.
pub struct GraphSink {
    meta: &'static RuleMeta,
    findings: Vec<Finding>,
}

impl GraphSink {
    pub fn new(meta: &'static RuleMeta) -> Self {
        Self {
            meta,
            findings: Vec::new(),
        }
    }

    pub fn report_at(&mut self, at: &Location, message: impl Into<String>) -> &mut Finding {
        self.findings
            .push(Finding::new(self.meta, at.clone(), message.into()));
        self.findings.last_mut().expect("just pushed")
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// Every rule, in id order.
pub fn registry() -> &'static [&'static dyn Rule] {
    static ALL: &[&dyn Rule] = &[
        &pinned_versions::base_image::BaseImageUnpinned,
        &pinned_versions::os_packages::OsPackageUnpinned,
        &pinned_versions::language_packages::LanguagePackageUnpinned,
        &pinned_versions::add_url::AddUrlWithoutChecksum,
        &pinned_versions::digest::BaseImageNotDigestPinned,
        &pinned_versions::container_image::ContainerImageUnpinned,
        &non_root::final_user::FinalStageRunsAsRoot,
        &non_root::sudo::SudoInRun,
        &non_root::container_non_root::ContainerRunAsNonRootMissing,
        &non_root::container_uid0::ContainerRunsAsUid0,
        &non_root::container_privileged::ContainerPrivileged,
        &non_root::container_escalation::ContainerPrivilegeEscalation,
        &probe_port::missing_healthcheck::ExposeWithoutHealthcheck,
        &probe_port::healthcheck_port::HealthcheckPortNotExposed,
        &probe_port::cmd_bind::ExposeDisagreesWithCommand,
        &probe_port::container_probe_port::ProbePortUndeclared,
        &probe_port::k8s_service_target_port::ServiceTargetPortUnmatched,
        &probe_port::container_probes::ContainerMissingProbes,
        &secrets::env_arg::SecretInEnvOrArg,
        &secrets::secret_files::SecretFileCopied,
        &secrets::run_credentials::CredentialsInRun,
        &secrets::token_formats::KnownTokenFormat,
        &secrets::copy_context::CopyContextWithoutDockerignore,
        &secrets::container_env::ContainerEnvLiteralSecret,
        &secrets::k8s_secret_data::SecretLiteralData,
        &resource_limits::container_resources::ContainerMissingResources,
        &resource_limits::container_requests_limits::RequestsAboveLimits,
        &pinned_versions::compose_image::ComposeImageUnpinned,
        &non_root::compose_user::ComposeUserRoot,
        &non_root::compose_privileged::ComposePrivileged,
        &non_root::compose_capabilities::ComposeDangerousCapability,
        &probe_port::compose_healthcheck_port::ComposeHealthcheckPortNotExposed,
        &probe_port::compose_depends_healthy::ComposeDependsOnHealthyWithoutHealthcheck,
        &probe_port::compose_port_conflict::ComposeHostPortConflict,
        &secrets::compose_env::ComposeLiteralSecret,
        &resource_limits::compose_limits::ComposeMissingLimits,
        &probe_port::service_ports::ServicePortsDisagree,
        &probe_port::probe_vs_image::ProbeDisagreesWithImage,
        &non_root::run_as_non_root_unverifiable::RunAsNonRootUnverifiable,
        &pinned_versions::image_tag_drift::ImageTagDrift,
        &probe_port::healthcheck_not_deployed::HealthcheckNotDeployed,
        &non_root::compose_runs_image_as_root::ComposeRunsImageAsRoot,
        &non_root::run_as_user_differs::RunAsUserDiffers,
        &secrets::secret_handling_drift::SecretHandlingDrift,
        &resource_limits::compose_above_production::ComposeMemoryAboveProduction,
        &pinned_versions::helm_dependency::HelmDependencyUnpinned,
        &secrets::helm_values::HelmValuesLiteralSecret,
        &pinned_versions::bicep_image::BicepImageUnpinned,
        &probe_port::bicep_probe_port::BicepProbePort,
        &secrets::bicep_param_secure::BicepParamNotSecure,
        &secrets::bicep_output_secret::BicepOutputSecret,
        &secrets::bicep_literal_secret::BicepLiteralSecret,
        &secrets::bicep_registry_admin::BicepRegistryAdminUser,
        &resource_limits::bicep_container_app_resources::BicepContainerAppResources,
        &resource_limits::bicep_container_group_resources::BicepContainerGroupResources,
        &pinned_versions::terraform_providers::TerraformProviderUnpinned,
        &pinned_versions::terraform_required_version::TerraformRequiredVersionMissing,
        &pinned_versions::terraform_module_source::TerraformModuleUnpinned,
        &pinned_versions::terraform_helm_release::TerraformHelmReleaseUnpinned,
        &pinned_versions::terraform_image::TerraformImageUnpinned,
        &non_root::terraform_container_group_privileged::TerraformContainerGroupPrivileged,
        &probe_port::terraform_container_app_probe::TerraformContainerAppProbePort,
        &secrets::terraform_literal_secret::TerraformLiteralSecret,
        &secrets::terraform_sensitive::TerraformSecretNotSensitive,
        &secrets::terraform_registry_admin::TerraformRegistryAdminEnabled,
        &resource_limits::terraform_container_app_resources::TerraformContainerAppResources,
    ];
    ALL
}

/// The rule implementation for an id.
pub fn rule(id: &str) -> Option<&'static dyn Rule> {
    registry().iter().copied().find(|r| r.id() == id)
}
