//! Errors: what goes wrong at start ([`BackendError`]) and how a database error becomes a gRPC
//! status ([`status`]).

use tokio_postgres::error::SqlState;
use tonic::Status;

/// Why the plugin cannot serve from the PostgreSQL it was given.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The URL does not parse as a libpq connection string or URL.
    #[error("PRISM_BACKEND_URL {url:?} is not a PostgreSQL URL: {source}")]
    Url {
        /// The URL as given.
        url: String,
        /// What the parser said.
        source: tokio_postgres::Error,
    },
    /// The pool could not be built.
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    /// Connecting or creating the schema failed.
    #[error("cannot prepare the PostgreSQL schema: {0}")]
    Schema(String),
}

/// A database error as a gRPC status.
///
/// Serialization failures and deadlocks (the database picked this call as the loser of a
/// conflict) are ABORTED; a lost connection is UNAVAILABLE; constraint violations are mapped by
/// the caller where they carry meaning, and are INTERNAL otherwise. Text PostgreSQL cannot hold
/// (U+0000) is INVALID_ARGUMENT.
pub fn status(e: tokio_postgres::Error) -> Status {
    match e.code() {
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            Status::aborted(format!("postgres: {}", describe(&e)))
        }
        Some(c)
            if *c == SqlState::CHARACTER_NOT_IN_REPERTOIRE
                || *c == SqlState::UNTRANSLATABLE_CHARACTER =>
        {
            Status::invalid_argument(format!(
                "postgres cannot store this text (U+0000 is not allowed in text columns): {}",
                describe(&e)
            ))
        }
        Some(c)
            if *c == SqlState::NUMERIC_VALUE_OUT_OF_RANGE
                || *c == SqlState::DATETIME_FIELD_OVERFLOW =>
        {
            Status::invalid_argument(format!("postgres: value out of range: {}", describe(&e)))
        }
        Some(c) if c.code().starts_with("08") || c.code().starts_with("57") => {
            Status::unavailable(format!("postgres: {}", describe(&e)))
        }
        Some(_) => Status::internal(format!("postgres: {}", describe(&e))),
        // No SQLSTATE: the connection failed, or the driver refused (a type mismatch: our bug).
        None if e.is_closed() || io_error(&e) => {
            Status::unavailable(format!("postgres connection: {}", describe(&e)))
        }
        None => Status::internal(format!("postgres driver: {}", describe(&e))),
    }
}

fn io_error(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether `e` is a unique-constraint violation (a duplicate key).
pub fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// Whether `e` is a foreign-key violation (a reference to a missing row).
pub fn is_foreign_key_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION)
}

/// The server's message and detail, or the driver's error chain.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    }
}

/// Why no pooled connection could be had, as UNAVAILABLE.
pub fn pool_status(e: deadpool_postgres::PoolError) -> Status {
    match e {
        deadpool_postgres::PoolError::Backend(e) => {
            Status::unavailable(format!("cannot connect to PostgreSQL: {}", describe(&e)))
        }
        other => Status::unavailable(format!("no PostgreSQL connection: {other}")),
    }
}

/// Converts a database result into a gRPC one.
pub trait OrStatus<T> {
    /// The value, or the error as a [`Status`].
    fn st(self) -> Result<T, Status>;
}

impl<T> OrStatus<T> for Result<T, tokio_postgres::Error> {
    fn st(self) -> Result<T, Status> {
        self.map_err(status)
    }
}
