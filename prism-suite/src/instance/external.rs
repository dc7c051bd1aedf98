//! The external provider: an instance someone else runs, given by `PRISM_<BACKEND>_URL`.
//! Nothing is started or stopped; the URL goes to the plugin as it is.

/// The URL as given, and what to print about it.
pub(super) fn describe(backend: &str, url: String) -> (String, String) {
    let detail = format!("{}={url}", super::var_name(backend, "URL"));
    (url, detail)
}
