//! docs/openapi.yaml describes exactly the routes the handler and the
//! authorizer share (`Route`): the same methods on the same paths. The
//! Terraform side is checked by modules/api/tests/api.tftest.hcl.

use docproc_core::access::Route;
use std::collections::BTreeSet;

/// (METHOD, path) of every operation: path keys sit two spaces in under
/// `paths:`, operations four (the document's layout; a reformat that breaks
/// it fails the count below rather than passing silently).
fn operations(yaml: &str) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    let mut in_paths = false;
    let mut path: Option<String> = None;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_paths = line.trim_end() == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = Some(format!("/{}", p.trim_end().trim_end_matches(':')));
        } else if let (Some(p), Some(m)) = (&path, line.strip_prefix("    ")) {
            let m = m.trim_end().trim_end_matches(':');
            if ["get", "post", "put", "patch", "delete"].contains(&m) {
                ops.insert((m.to_uppercase(), p.clone()));
            }
        }
    }
    ops
}

#[test]
fn the_openapi_document_lists_every_route_and_nothing_else() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../docs/openapi.yaml"
    ))
    .expect("docs/openapi.yaml");
    let documented = operations(&yaml);
    let routes: BTreeSet<(String, String)> = Route::ALL
        .iter()
        .map(|r| (r.method().to_string(), r.resource().to_string()))
        .collect();
    assert_eq!(routes.len(), Route::ALL.len());
    assert_eq!(documented, routes);
}
