//! Helm charts, rendered as `helm template` renders them, each value keeping its origin.
//!
//! - [`values`]: values files per environment (`values.yaml` as `default`, each
//!   `values.<env>.yaml` / `values-<env>.yaml` overlay merged on top), origins kept.

pub mod values;

pub use values::{
    EnvValues, ValuesFile, environment_of, environments, is_example_name, lookup, merge, truthy,
};
pub mod template;
