//! The plugin build step, run once per test run. Running cases is the runner's job
//! ([`crate::runner`]); this module keeps the build step the lifecycle owns.

mod build;

pub(crate) use build::once as build_once;
// The lifecycle's modules reach the runner's runtime through here.
pub(crate) use crate::runner::runtime;
