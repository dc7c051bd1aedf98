//! Checks for case bodies. Each returns `Err(CaseError::Check)` from the enclosing case, naming the
//! expression, what was seen and where, instead of panicking: a failed check is a failed case, not a
//! crashed test thread.

/// Fails the case unless `cond` holds.
///
/// ```text
/// check!(n <= 10, "scan returned {n} items with limit 10");
/// ```
#[macro_export]
macro_rules! check {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err($crate::CaseError::check_at(
                concat!("expected `", stringify!($cond), "`"),
                $crate::Site { file: file!(), line: line!() },
            ));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::CaseError::check_at(
                format!("{} (expected `{}`)", format_args!($($fmt)+), stringify!($cond)),
                $crate::Site { file: file!(), line: line!() },
            ));
        }
    };
}

/// Fails the case unless `left == right`, showing both values.
#[macro_export]
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::check_eq!($left, $right, "values differ")
    };
    ($left:expr, $right:expr, $($fmt:tt)+) => {
        match (&$left, &$right) {
            (l, r) => {
                if !(*l == *r) {
                    return Err($crate::CaseError::check_at(
                        format!(
                            "{}: `{}` == `{}`\n      got: {}\n expected: {}",
                            format_args!($($fmt)+),
                            stringify!($left),
                            stringify!($right),
                            $crate::error::brief(l),
                            $crate::error::brief(r),
                        ),
                        $crate::Site { file: file!(), line: line!() },
                    ));
                }
            }
        }
    };
}

/// Fails the case if `left == right`.
#[macro_export]
macro_rules! check_ne {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if *l == *r {
                    return Err($crate::CaseError::check_at(
                        format!(
                            "`{}` != `{}`, but both are {}",
                            stringify!($left),
                            stringify!($right),
                            $crate::error::brief(l),
                        ),
                        $crate::Site {
                            file: file!(),
                            line: line!(),
                        },
                    ));
                }
            }
        }
    };
}

/// Fails the case unless an RPC result is an error whose code matches the pattern.
///
/// ```text
/// let got = kv.get(cx.req(GetRequest { key: "nope".into(), ..Default::default() })).await;
/// check_code!(got, Code::NotFound);
/// check_code!(txn_get, Code::FailedPrecondition | Code::NotFound);
/// ```
#[macro_export]
macro_rules! check_code {
    ($result:expr, $($code:tt)+) => {
        match &$result {
            Ok(v) => {
                return Err($crate::CaseError::check_at(
                    format!(
                        "`{}` succeeded with {}, expected an error with code {}",
                        stringify!($result),
                        $crate::error::brief(v),
                        stringify!($($code)+),
                    ),
                    $crate::Site { file: file!(), line: line!() },
                ));
            }
            Err(status) => {
                if !matches!(status.code(), $($code)+) {
                    return Err($crate::CaseError::check_at(
                        format!(
                            "`{}` failed with {:?} ({}), expected code {}",
                            stringify!($result),
                            status.code(),
                            status.message(),
                            stringify!($($code)+),
                        ),
                        $crate::Site { file: file!(), line: line!() },
                    ));
                }
            }
        }
    };
}
