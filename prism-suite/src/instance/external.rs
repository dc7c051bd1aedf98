//! The external provider: an instance someone else runs, given by `PRISM_<BACKEND>_URL`.
//! Nothing is started or stopped; the URL goes to the plugin as it is. It is chosen only when
//! that variable is set (or when `PRISM_<BACKEND>_PROVIDER=external` asks for it).

use super::provider::{Availability, Provider, Request, StartContext, Started};

/// Passes `PRISM_<BACKEND>_URL` on.
pub struct External;

crate::register_provider!(0, External);

impl Provider for External {
    fn name(&self) -> &'static str {
        "external"
    }

    fn undeclared(&self) -> &'static str {
        "no URL is given"
    }

    fn availability(&self, request: &Request<'_>) -> Availability {
        match request.var("URL") {
            Some(_) => Availability::Available,
            None => {
                let var = request.var_name("URL");
                Availability::OnRequest {
                    missing: format!("{var} is not set"),
                    how: format!("point at a running instance with {var}=<url>"),
                }
            }
        }
    }

    fn start(&self, request: &Request<'_>, _: &StartContext<'_>) -> Result<Started, String> {
        let var = request.var_name("URL");
        let url = request
            .var("URL")
            .ok_or_else(|| format!("{var} is not set"))?;
        Ok(Started::Given {
            detail: format!("{var}={url}"),
            url,
        })
    }
}
