//! set suites: one file per interface, each holding the inline suite module.
