//! `#[prism_plugin::service]`; see the `prism-plugin` crate for the documentation and examples.

use proc_macro::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ImplItem, ItemImpl, PathArguments, ReturnType, Type};

/// Lets the methods of a tonic service impl take the request message and return
/// `prism_plugin::Reply<T>` (`Result<T, Status>`): the `Request` and `Response` wrapping is
/// generated, then `#[tonic::async_trait]` applies.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    if !attr.is_empty() {
        return syn::Error::new(attr.span(), "#[prism_plugin::service] takes no arguments")
            .into_compile_error()
            .into();
    }
    match expand(syn::parse_macro_input!(item as ItemImpl)) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.into_compile_error().into(),
    }
}

fn expand(mut block: ItemImpl) -> syn::Result<proc_macro2::TokenStream> {
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let sig = &mut method.sig;
        if sig.asyncness.is_none() {
            continue;
        }
        let message = ok_type(&sig.output).ok_or_else(|| {
            syn::Error::new(
                sig.output.span(),
                "a service method returns prism_plugin::Reply<T> (Result<T, Status>)",
            )
        })?;
        let Some(FnArg::Typed(param)) = sig.inputs.iter().nth(1).cloned() else {
            return Err(syn::Error::new(
                sig.span(),
                "a service method is `async fn name(&self, req: RequestMessage) -> Reply<T>`",
            ));
        };
        let (pat, request) = (&param.pat, &param.ty);
        let written = match &sig.output {
            ReturnType::Type(_, ty) => ty.clone(),
            ReturnType::Default => unreachable!("ok_type found a return type"),
        };
        let body = &method.block;
        let output: Type = syn::parse_quote!(
            ::core::result::Result<::prism_plugin::__private::tonic::Response<#message>, ::prism_plugin::__private::tonic::Status>
        );
        let input: FnArg =
            syn::parse_quote!(__prism_request: ::prism_plugin::__private::tonic::Request<#request>);
        let mut inputs = sig.inputs.clone();
        if let Some(second) = inputs.iter_mut().nth(1) {
            *second = input;
        }
        sig.inputs = inputs;
        sig.output = ReturnType::Type(Default::default(), Box::new(output));
        method.block = syn::parse_quote!({
            let #pat: #request = __prism_request.into_inner();
            let reply: #written = async move #body.await;
            reply.map(::prism_plugin::__private::tonic::Response::new)
        });
    }
    Ok(quote! {
        #[::prism_plugin::__private::tonic::async_trait]
        #block
    })
}

/// `T` of `Reply<T>` or `Result<T, E>`.
fn ok_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = ty.as_ref() else {
        return None;
    };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}
