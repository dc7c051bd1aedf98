//! The Gremlin subset of graph_query (grammar and meaning in `graph_query.proto`): a tokenizer, a
//! parser that rejects everything outside the subset, and an evaluator over a list of traversers.

use tonic::Status;

use super::Graph;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Int(u64),
    Dot,
    Open,
    Close,
    Comma,
}

fn invalid(query: &str, why: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("not in the Gremlin subset: {why} in {query:?}"))
}

fn tokenize(query: &str) -> Result<Vec<Token>, Status> {
    let mut tokens = Vec::new();
    let mut chars = query.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '.' | '(' | ')' | ',' => {
                chars.next();
                tokens.push(match c {
                    '.' => Token::Dot,
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' | '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => text.push(other),
                        None => return Err(invalid(query, "unterminated string")),
                    }
                }
                tokens.push(Token::Str(text));
            }
            c if c.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                let n = digits
                    .parse()
                    .map_err(|_| invalid(query, format!("integer {digits} too large")))?;
                tokens.push(Token::Int(n));
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::new();
                while let Some(&w) = chars.peek().filter(|w| w.is_ascii_alphanumeric()) {
                    word.push(w);
                    chars.next();
                }
                tokens.push(Token::Ident(word));
            }
            other => return Err(invalid(query, format!("unexpected character {other:?}"))),
        }
    }
    Ok(tokens)
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Out(Option<String>),
    In(Option<String>),
    Both(Option<String>),
    HasLabel(String),
    Has(String, String),
    Values(String),
    Dedup,
    Limit(usize),
    Count,
}

/// A parsed query of the subset.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Query {
    /// None = every node.
    start: Option<Vec<String>>,
    steps: Vec<Step>,
}

/// What the traversers are at a point of the query, which decides the steps allowed next.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Nodes,
    Values,
    Counted,
}

struct Parser<'q> {
    query: &'q str,
    tokens: Vec<Token>,
    at: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, want: Token) -> Result<(), Status> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            got => Err(invalid(
                self.query,
                format!("expected {want:?}, got {got:?}"),
            )),
        }
    }

    fn ident(&mut self) -> Result<String, Status> {
        match self.next() {
            Some(Token::Ident(name)) => Ok(name),
            got => Err(invalid(self.query, format!("expected a name, got {got:?}"))),
        }
    }

    /// `( arg, ... )` where each arg is a string or an integer.
    fn args(&mut self) -> Result<Vec<Token>, Status> {
        self.expect(Token::Open)?;
        let mut args = Vec::new();
        if self.tokens.get(self.at) == Some(&Token::Close) {
            self.at += 1;
            return Ok(args);
        }
        loop {
            match self.next() {
                Some(arg @ (Token::Str(_) | Token::Int(_))) => args.push(arg),
                got => {
                    return Err(invalid(
                        self.query,
                        format!("expected an argument, got {got:?}"),
                    ))
                }
            }
            match self.next() {
                Some(Token::Comma) => continue,
                Some(Token::Close) => return Ok(args),
                got => {
                    return Err(invalid(
                        self.query,
                        format!("expected `,` or `)`, got {got:?}"),
                    ))
                }
            }
        }
    }

    fn strings(&self, step: &str, args: Vec<Token>) -> Result<Vec<String>, Status> {
        args.into_iter()
            .map(|a| match a {
                Token::Str(s) => Ok(s),
                other => Err(invalid(
                    self.query,
                    format!("{step}() takes strings, got {other:?}"),
                )),
            })
            .collect()
    }

    fn step(&mut self, name: &str, args: Vec<Token>) -> Result<Step, Status> {
        let n = args.len();
        let arity = |ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(invalid(self.query, format!("{name}() with {n} arguments")))
            }
        };
        Ok(match name {
            "out" | "in" | "both" => {
                arity(n <= 1)?;
                let label = self.strings(name, args)?.pop();
                match name {
                    "out" => Step::Out(label),
                    "in" => Step::In(label),
                    _ => Step::Both(label),
                }
            }
            "hasLabel" | "values" => {
                arity(n == 1)?;
                let mut s = self.strings(name, args)?;
                let arg = s.pop().unwrap_or_default();
                if name == "hasLabel" {
                    Step::HasLabel(arg)
                } else {
                    Step::Values(arg)
                }
            }
            "has" => {
                arity(n == 2)?;
                let mut s = self.strings(name, args)?.into_iter();
                let (k, v) = (s.next().unwrap_or_default(), s.next().unwrap_or_default());
                Step::Has(k, v)
            }
            "dedup" | "count" => {
                arity(n == 0)?;
                if name == "dedup" {
                    Step::Dedup
                } else {
                    Step::Count
                }
            }
            "limit" => match args.as_slice() {
                [Token::Int(k)] => Step::Limit(usize::try_from(*k).unwrap_or(usize::MAX)),
                _ => return Err(invalid(self.query, "limit() takes one integer")),
            },
            other => return Err(invalid(self.query, format!("unknown step {other}()"))),
        })
    }
}

/// Parses `query`; INVALID_ARGUMENT for anything outside the subset.
pub(super) fn parse(query: &str) -> Result<Query, Status> {
    let mut p = Parser {
        query,
        tokens: tokenize(query)?,
        at: 0,
    };
    if p.ident()? != "g" {
        return Err(invalid(query, "a query starts with g"));
    }
    p.expect(Token::Dot)?;
    if p.ident()? != "V" {
        return Err(invalid(query, "the only source is V()"));
    }
    let ids = p.args()?;
    let ids = p.strings("V", ids)?;
    let start = if ids.is_empty() { None } else { Some(ids) };
    let mut steps = Vec::new();
    let mut kind = Kind::Nodes;
    while p.at < p.tokens.len() {
        p.expect(Token::Dot)?;
        let name = p.ident()?;
        let args = p.args()?;
        let step = p.step(&name, args)?;
        kind = match (kind, &step) {
            (Kind::Counted, _) => return Err(invalid(query, "count() must be the last step")),
            (_, Step::Count) => Kind::Counted,
            (k, Step::Dedup | Step::Limit(_)) => k,
            (Kind::Nodes, Step::Values(_)) => Kind::Values,
            (Kind::Nodes, _) => Kind::Nodes,
            (Kind::Values, _) => {
                return Err(invalid(query, format!("{name}() cannot follow values()")))
            }
        };
        steps.push(step);
    }
    Ok(Query { start, steps })
}

impl Query {
    /// The results of the query on `graph`, in traverser order.
    /// `any_label` is the `gremlin_ignores_edge_labels` fault.
    pub(super) fn run(&self, graph: &Graph, any_label: bool) -> Vec<String> {
        let hop = |id: &String, label: &Option<String>, out: bool| {
            hop(graph, id, if any_label { &None } else { label }, out)
        };
        // Node ids and property values are both strings; the parser guarantees each step sees the
        // kind it expects.
        let mut items: Vec<String> = match &self.start {
            None => graph.nodes.keys().cloned().collect(),
            Some(ids) => ids
                .iter()
                .filter(|id| graph.nodes.contains_key(*id))
                .cloned()
                .collect(),
        };
        for step in &self.steps {
            items = match step {
                Step::Out(label) => items.iter().flat_map(|id| hop(id, label, true)).collect(),
                Step::In(label) => items.iter().flat_map(|id| hop(id, label, false)).collect(),
                Step::Both(label) => items
                    .iter()
                    .flat_map(|id| {
                        let mut out = hop(id, label, true);
                        out.extend(hop(id, label, false));
                        out
                    })
                    .collect(),
                Step::HasLabel(label) => items
                    .into_iter()
                    .filter(|id| graph.nodes.get(id).is_some_and(|n| &n.label == label))
                    .collect(),
                Step::Has(key, value) => items
                    .into_iter()
                    .filter(|id| {
                        graph
                            .nodes
                            .get(id)
                            .is_some_and(|n| n.properties.get(key) == Some(value))
                    })
                    .collect(),
                Step::Values(key) => items
                    .iter()
                    .filter_map(|id| {
                        graph
                            .nodes
                            .get(id)
                            .and_then(|n| n.properties.get(key))
                            .cloned()
                    })
                    .collect(),
                Step::Dedup => {
                    let mut seen = std::collections::HashSet::new();
                    items
                        .into_iter()
                        .filter(|i| seen.insert(i.clone()))
                        .collect()
                }
                Step::Limit(n) => items.into_iter().take(*n).collect(),
                Step::Count => vec![items.len().to_string()],
            };
        }
        items
    }
}

/// The nodes one edge away from `id` (out along edges, or in against them), one per edge, by
/// neighbour id then edge id.
fn hop(graph: &Graph, id: &str, label: &Option<String>, out: bool) -> Vec<String> {
    let mut found: Vec<(&str, &str)> = graph
        .edges
        .values()
        .filter(|e| label.as_ref().is_none_or(|l| &e.label == l))
        .filter_map(|e| {
            let (here, there) = if out {
                (&e.from, &e.to)
            } else {
                (&e.to, &e.from)
            };
            (here == id).then_some((there.as_str(), e.id.as_str()))
        })
        .collect();
    found.sort_unstable();
    found
        .into_iter()
        .map(|(there, _)| there.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset_and_rejects_the_rest() {
        let q = parse(" g.V('a', \"b\") .out().in('x').both( ).hasLabel('p').has('k','v').dedup().limit(3).count()")
            .expect("valid");
        assert_eq!(q.steps.len(), 8);
        for bad in [
            "",
            "g",
            "g.V(",
            "g.E()",
            "x.V()",
            "g.V().out(",
            "g.V().foo()",
            "g.V('a'",
            "g.V().limit('x')",
            "g.V().values('k').out()",
            "g.V().count().dedup()",
            "g.V().has('k')",
            "g.V('unterminated)",
            "g.V().",
            "g.V() out()",
            "g.V().out(1)",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
