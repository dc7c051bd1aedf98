use std::fmt;
use std::panic::Location;

use tonic::{Code, Status};

/// What a case returns: `Ok(())` when every rule it pins held.
pub type CaseResult = Result<(), CaseError>;

/// A source location in a suite, for failure messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Source file of the suite.
    pub file: &'static str,
    /// Line in that file.
    pub line: u32,
}

impl Site {
    /// The caller's location.
    #[track_caller]
    pub fn caller() -> Self {
        let l = Location::caller();
        Site {
            file: l.file(),
            line: l.line(),
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why a case failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// An RPC answered an error the case did not expect (propagated with `?`).
    #[error("RPC at {at} failed with {code:?}: {message}")]
    Rpc {
        /// The gRPC status code.
        code: Code,
        /// The status message the plugin sent.
        message: String,
        /// Where in the suite the failing call was made.
        at: Site,
    },
    /// A check in the case did not hold.
    #[error("check failed at {at}: {message}")]
    Check {
        /// What was expected and what was seen.
        message: String,
        /// Where the check is.
        at: Site,
    },
}

impl CaseError {
    /// A failed check at the caller's location.
    #[track_caller]
    pub fn check(message: impl Into<String>) -> Self {
        CaseError::Check {
            message: message.into(),
            at: Site::caller(),
        }
    }

    /// A failed check at a given location (used by the check macros).
    pub fn check_at(message: impl Into<String>, at: Site) -> Self {
        CaseError::Check {
            message: message.into(),
            at,
        }
    }
}

impl From<Status> for CaseError {
    // `?` calls this at the operator's span, so the location names the RPC that failed.
    #[track_caller]
    fn from(status: Status) -> Self {
        CaseError::Rpc {
            code: status.code(),
            message: status.message().to_owned(),
            at: Site::caller(),
        }
    }
}

/// Debug form of a value, cut to a readable length (values can be megabytes).
#[doc(hidden)]
pub fn brief<T: fmt::Debug + ?Sized>(value: &T) -> String {
    const MAX: usize = 300;
    let s = format!("{value:?}");
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} chars)", &s[..end], s.len())
}
