//! pinned-versions: what an image is built from and what it installs must not change under
//! the same file. Unpinned inputs make builds irreproducible and let a compromised or broken
//! release in without a commit.

pub mod add_url;
pub mod base_image;
pub mod bicep_image;
pub mod compose_image;
pub mod container_image;
pub mod digest;
pub mod helm_dependency;
pub mod image_tag_drift;
pub mod language_packages;
pub mod os_packages;
pub mod terraform_helm_release;
pub mod terraform_image;
pub mod terraform_module_source;
pub mod terraform_providers;
pub mod terraform_required_version;
