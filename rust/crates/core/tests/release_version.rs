//! The Terraform platform reports the release it was built from
//! (`docproc_version` output); it must be the Rust workspace's version, which
//! the Lambda zips are built at.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

#[test]
fn terraform_reports_the_workspace_version() {
    let versions_tf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../terraform/platform/versions.tf");
    let text = std::fs::read_to_string(&versions_tf).unwrap();
    let declared = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("docproc_version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("docproc_version in terraform/platform/versions.tf");
    assert_eq!(declared, env!("CARGO_PKG_VERSION"));
}
