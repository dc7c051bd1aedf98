//! `compliance_matrix!()`.

use std::path::{Path, PathBuf};

use prism_registry::{ClaimStatus, RegistryError};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Path as SynPath, Token};

/// Lets tests of the macro itself (trybuild) resolve paths against the real package: trybuild
/// compiles them in a generated package whose CARGO_MANIFEST_DIR holds no registry.
const MANIFEST_OVERRIDE: &str = "PRISM_SUITE_MANIFEST_DIR";
/// Points every `compliance_matrix!()` without an explicit `registry` at another directory
/// (synthetic registries for measurements, a user's registry checkout).
const REGISTRY_ENV: &str = "PRISM_REGISTRY_DIR";

struct Args {
    registry: Option<LitStr>,
    suites: Option<SynPath>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args {
            registry: None,
            suites: None,
        };
        while !input.is_empty() {
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "registry" => args.registry = Some(input.parse()?),
                "suites" => args.suites = Some(input.parse()?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`; expected `registry = \"dir\"` or `suites = crate_path`"),
                    ))
                }
            }
            if input.parse::<Option<Token![,]>>()?.is_none() {
                break;
            }
        }
        Ok(args)
    }
}

/// The registry one macro call reads: where it lives and what it says.
struct Loaded {
    manifest: PathBuf,
    dir: PathBuf,
    registry: prism_registry::Registry,
}

fn load(args: &Args) -> syn::Result<Loaded> {
    let manifest = std::env::var_os(MANIFEST_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "CARGO_MANIFEST_DIR is not set: build with cargo",
            )
        })?;
    let dir = registry_dir(args, &manifest)?;
    let registry =
        prism_registry::load_dir(&dir).map_err(|errors| registry_errors(&errors, &manifest))?;
    Ok(Loaded {
        manifest,
        dir,
        registry,
    })
}

impl Loaded {
    /// An `EmbeddedRegistry` expression holding every file byte for byte; `include_str!` of each
    /// file makes an edit rebuild the calling target.
    fn embedded(&self) -> TokenStream {
        let dir_str = self.dir.display().to_string();
        let root_str = prism_registry::project_root(&self.dir)
            .display()
            .to_string();
        let tracked = self.registry.files().map(|f| f.display().to_string());
        let embedded = self.registry.sources.iter().map(|source| {
            let shown = display(&source.path, &self.manifest);
            let text = &source.text;
            quote!(::prism_suite::EmbeddedFile { path: #shown, text: #text })
        });
        quote! {{
            const _: &[&str] = &[#(include_str!(#tracked)),*];
            ::prism_suite::EmbeddedRegistry::new(#dir_str, #root_str, &[#(#embedded),*])
        }}
    }
}

/// `embedded_registry!()`: the registry `compliance_matrix!()` would expand, as a value.
pub fn expand_embedded(input: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(input)?;
    if let Some(suites) = &args.suites {
        return Err(syn::Error::new_spanned(
            suites,
            "`suites` is an argument of `compliance_matrix!`, not of `embedded_registry!`",
        ));
    }
    Ok(load(&args)?.embedded())
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(input)?;
    let loaded = load(&args)?;
    let embedded = loaded.embedded();
    let Loaded {
        manifest, registry, ..
    } = loaded;

    let suites = args
        .suites
        .map_or_else(|| quote!(::prism_suites), |p| quote!(#p));
    let modules = registry.backends.iter().map(|backend| {
        let backend_mod = format_ident!("{}", backend.name);
        let name = &backend.name;
        let interfaces = backend.claims.iter().map(|claim| {
            let iface = &claim.interface;
            let iface_mod = format_ident!("{}", iface);
            match claim.status {
                ClaimStatus::Implemented => {
                    let callback = format_ident!("__prism_suite_{}", iface);
                    quote! {
                        pub(crate) mod #iface_mod {
                            #suites::#callback!([::prism_suite::__matrix_tests] super::super::__PRISM_SUITE_REGISTRY, #name, #iface;);
                        }
                    }
                }
                ClaimStatus::Planned => {
                    let reason = format!(
                        "planned: {name} declares {iface} as planned in {}{}",
                        display(&backend.file, &manifest),
                        claim.reason.as_deref().map(|r| format!(" ({})", one_line(r))).unwrap_or_default()
                    );
                    quote! {
                        pub(crate) mod #iface_mod {
                            #[test]
                            #[ignore = #reason]
                            fn planned() {
                                ::prism_suite::__private::planned(#name, #iface)
                            }
                        }
                    }
                }
            }
        });
        quote! {
            pub(crate) mod #backend_mod {
                #(#interfaces)*

                /// The interfaces the registry file claims are the ones its plugin serves.
                #[::prism_suite::__private::tokio::test(crate = "::prism_suite::__private::tokio")]
                async fn declared_matches_served() -> ::core::result::Result<(), ::prism_suite::__private::Failure> {
                    ::prism_suite::__private::check_served(&super::__PRISM_SUITE_REGISTRY, #name).await
                }
            }
        }
    });
    let checks = registry.backends.iter().flat_map(|backend| {
        let backend_mod = format_ident!("{}", backend.name);
        let name = &backend.name;
        backend.implemented().map(move |claim| {
            let iface = &claim.interface;
            let iface_mod = format_ident!("{}", iface);
            quote!((#name, #iface, #backend_mod::#iface_mod::CASES))
        })
    });

    Ok(quote! {
        /// The registry these tests were generated from, byte for byte: the tests run with it and
        /// never read the directory again.
        #[doc(hidden)]
        static __PRISM_SUITE_REGISTRY: ::prism_suite::EmbeddedRegistry = #embedded;

        #(#modules)*

        /// The tests expanded at compile time are exactly the cases the catalogue registered.
        #[test]
        fn matrix_matches_catalogue() {
            ::prism_suite::__private::check_matrix(&[#(#checks),*]);
        }
    })
}

fn registry_dir(args: &Args, manifest: &Path) -> syn::Result<PathBuf> {
    if let Some(lit) = &args.registry {
        let dir = manifest.join(lit.value());
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(syn::Error::new(
                lit.span(),
                format!("registry directory {} does not exist", dir.display()),
            ))
        };
    }
    if let Some(dir) = std::env::var_os(REGISTRY_ENV) {
        let dir = manifest.join(dir);
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(syn::Error::new(
                Span::call_site(),
                format!("{REGISTRY_ENV}={} is not a directory", dir.display()),
            ))
        };
    }
    prism_registry::locate(manifest).ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            format!(
                "no registry/backends directory in {} or its parents; pass `registry = \"path\"`",
                manifest.display()
            ),
        )
    })
}

/// A planned entry's reason on one line (Prism's `notes` are block lists): libtest prints it
/// after `ignored, `.
fn one_line(reason: &str) -> String {
    reason
        .lines()
        .map(|l| l.trim().trim_start_matches("- ").trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn display(file: &Path, manifest: &Path) -> String {
    // Relative to the package when possible: shorter, and the same on every machine.
    let rel = file
        .strip_prefix(manifest)
        .ok()
        .or_else(|| manifest.parent().and_then(|ws| file.strip_prefix(ws).ok()));
    rel.unwrap_or(file).display().to_string()
}

fn registry_errors(errors: &[RegistryError], manifest: &Path) -> syn::Error {
    let mut all: Option<syn::Error> = None;
    for e in errors {
        let shown = RegistryError {
            file: PathBuf::from(display(&e.file, manifest)),
            ..e.clone()
        };
        let err = syn::Error::new(Span::call_site(), format!("registry: {shown}"));
        match &mut all {
            Some(a) => a.combine(err),
            None => all = Some(err),
        }
    }
    all.unwrap_or_else(|| syn::Error::new(Span::call_site(), "registry: unknown error"))
}
