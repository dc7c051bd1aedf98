//! JSON value rules shared by queries and indexes: dotted paths, equality (numbers by value) and
//! the total order of values that sorting and grouping use (see `document_query.proto`).

use std::cmp::Ordering;

use serde_json::Value;

/// The value at a dotted path; paths descend through objects only.
pub(crate) fn lookup<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(doc, |value, key| value.as_object().and_then(|o| o.get(key)))
}

/// JSON equality where numbers compare by numeric value (1 equals 1.0), recursively.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Numbers with numbers and strings with strings; None for any other pairing.
pub(crate) fn ordered(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Where a value's type sorts: missing < null < booleans < numbers < strings < arrays < objects.
fn rank(value: Option<&Value>) -> u8 {
    match value {
        None => 0,
        Some(Value::Null) => 1,
        Some(Value::Bool(_)) => 2,
        Some(Value::Number(_)) => 3,
        Some(Value::String(_)) => 4,
        Some(Value::Array(_)) => 5,
        Some(Value::Object(_)) => 6,
    }
}

/// The total order of (possibly missing) values.
pub(crate) fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(x @ Value::Number(_)), Some(y @ Value::Number(_)))
        | (Some(x @ Value::String(_)), Some(y @ Value::String(_))) => {
            ordered(x, y).unwrap_or(Ordering::Equal)
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => x
            .iter()
            .zip(y)
            .map(|(x, y)| compare(Some(x), Some(y)))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Some(x @ Value::Object(_)), Some(y @ Value::Object(_))) => {
            x.to_string().cmp(&y.to_string())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_descend_objects_only() {
        let doc = json!({"a": {"b": [1, {"c": 2}], "d": {"e": null}}});
        assert_eq!(lookup(&doc, "a.d.e"), Some(&Value::Null));
        assert_eq!(lookup(&doc, "a.b.1.c"), None);
        assert_eq!(lookup(&doc, "a.x"), None);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same(&json!({"n": [1]}), &json!({"n": [1.0]})));
        assert!(!same(&json!(1), &json!("1")));
        assert_eq!(compare(Some(&json!(2)), Some(&json!(10.5))), Ordering::Less);
    }

    #[test]
    fn types_sort_in_the_stated_order() {
        let values = [
            json!(null),
            json!(false),
            json!(true),
            json!(-3),
            json!("a"),
            json!([]),
            json!({}),
        ];
        assert_eq!(compare(None, Some(&values[0])), Ordering::Less);
        for pair in values.windows(2) {
            assert_eq!(
                compare(Some(&pair[0]), Some(&pair[1])),
                Ordering::Less,
                "{pair:?}"
            );
        }
    }
}
