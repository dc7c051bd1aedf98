//! The plugin build step, run once per test run. Running cases is the runner's job
//! ([`crate::runner`]); this module keeps the build step the lifecycle owns.

mod build;

pub(crate) use build::once as build_once;
