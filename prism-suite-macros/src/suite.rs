//! `#[interface_suite("...")]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Item, ItemFn, ItemMod, Lit, LitInt, LitStr, Meta, Token, Visibility};

struct Args {
    interface: LitStr,
    timeout_ms: Option<LitInt>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let interface: LitStr = input.parse()?;
        let mut timeout_ms = None;
        while input.parse::<Option<Token![,]>>()?.is_some() {
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "timeout_ms" => timeout_ms = Some(input.parse()?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown option `{other}`; the only option is `timeout_ms = <milliseconds>`"),
                    ))
                }
            }
        }
        Ok(Args {
            interface,
            timeout_ms,
        })
    }
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(attr)?;
    let interface = args.interface.value();
    if !prism_registry::is_interface(&interface) {
        let hint = prism_registry::nearest_interface(&interface)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        return Err(syn::Error::new(
            args.interface.span(),
            format!(
                "`{interface}` is not one of the {} Prism interfaces (one per proto in proto/proto/prism/interfaces/){hint}",
                prism_registry::INTERFACES.len()
            ),
        ));
    }
    let mut module: ItemMod = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[interface_suite] goes on an inline `pub mod name { ... }`",
        )
    })?;
    let Some((_, items)) = module.content.as_mut() else {
        return Err(syn::Error::new(
            module.span(),
            "#[interface_suite] needs an inline module (`mod x { ... }`): attributes on `mod x;` cannot see its content",
        ));
    };

    let cases: Vec<ItemFn> = items
        .iter()
        .filter_map(|item| match item {
            Item::Fn(f) if matches!(f.vis, Visibility::Public(_)) => Some(f.clone()),
            _ => None,
        })
        .collect();
    if cases.is_empty() {
        return Err(syn::Error::new(
            module.ident.span(),
            "a suite needs at least one case: `pub async fn name(cx: &mut Case) -> CaseResult`",
        ));
    }

    let timeout = match &args.timeout_ms {
        Some(ms) => {
            let ms: u64 = ms.base10_parse()?;
            quote!(::core::option::Option::Some(#ms))
        }
        None => quote!(::core::option::Option::None),
    };
    let mut registrations = Vec::new();
    let mut names = Vec::new();
    let mut everywhere = Vec::new();
    for case in &cases {
        let sig = &case.sig;
        if sig.asyncness.is_none() || sig.inputs.len() != 1 {
            return Err(syn::Error::new(
                sig.span(),
                "a case is `pub async fn name(cx: &mut Case) -> CaseResult`; make helpers private",
            ));
        }
        let name = &sig.ident;
        let name_str = name.to_string();
        let runner = format_ident!("__prism_case_{}", name);
        let doc = first_doc_line(&case.attrs);
        let span = name.span();
        let line = quote_spanned!(span=> line!());
        registrations.push(quote! {
            #[doc(hidden)]
            fn #runner(cx: &mut ::prism_suite::Case) -> ::prism_suite::catalogue::CaseFuture<'_> {
                ::std::boxed::Box::pin(#name(cx))
            }
            ::prism_suite::__private::inventory::submit! {
                ::prism_suite::CaseDef {
                    interface: #interface,
                    name: #name_str,
                    doc: #doc,
                    file: file!(),
                    line: #line,
                    timeout_ms: #timeout,
                    run: #runner,
                }
            }
        });
        // Spanned at the case's name, so an editor draws this test's Run on the case function.
        everywhere.push(quote_spanned! {span=>
            #[test]
            fn #name() -> ::core::result::Result<(), ::prism_suite::__private::Failure> {
                ::prism_suite::__private::run_everywhere(&REGISTRY, HERE, #interface, #name_str)
            }
        });
        names.push(name.clone());
    }
    items.extend(registrations.into_iter().map(Item::Verbatim));
    // In the suite crate's own tests: each case on every backend of the registry that implements
    // the interface (`cargo test --lib -- <suite>::every_backend::<case>`). The registry is
    // embedded once per suite module, not once per crate, so a suite crate needs no extra item;
    // the copies share one runner per process (`runner_of` keys by registry directory).
    items.push(Item::Verbatim(quote! {
        #[cfg(test)]
        #[doc(hidden)]
        mod every_backend {
            static REGISTRY: ::prism_suite::EmbeddedRegistry = ::prism_suite::embedded_registry!();
            const HERE: ::prism_suite::__private::EverywhereTest = ::prism_suite::__private::EverywhereTest {
                package: ::core::env!("CARGO_PKG_NAME"),
                module: ::core::module_path!(),
            };
            #(#everywhere)*
        }
    }));

    // The callback lists the cases for `compliance_matrix!()`: it is invoked with a callback macro
    // path in brackets and any arguments, and calls that macro with the arguments and the case list.
    let callback = format_ident!("__prism_suite_{}", interface, span = Span::call_site());
    Ok(quote! {
        #module

        #[doc(hidden)]
        #[macro_export]
        macro_rules! #callback {
            ([$($cb:tt)*] $($args:tt)*) => {
                $($cb)*! { $($args)* [ #(#names),* ] }
            };
        }
    })
}

fn first_doc_line(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .find_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value().trim().to_owned()).filter(|s| !s.is_empty()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_default()
}
