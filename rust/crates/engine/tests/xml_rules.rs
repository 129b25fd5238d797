//! The XML rules wherever XML occurs: active content (scripts, event
//! handlers, script URLs) is rejected, data that merely looks similar is not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use docproc_engine::{inspect, Declared, Limits, Reason, Verdict};

fn verdict(xml: &str) -> Verdict {
    inspect(
        &xml.as_bytes().to_vec(),
        &Declared::new("doc.xml", "application/xml"),
        &Limits::default(),
    )
}

#[test]
fn handler_counts_even_when_the_namespace_is_declared_after_it() {
    let v = verdict(r#"<svg onload="alert(1)" xmlns="http://www.w3.org/2000/svg"/>"#);
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
}

#[test]
fn animating_an_event_handler_is_active_content() {
    let v = verdict(
        r#"<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="onmouseover" to="alert(1)"/></svg>"#,
    );
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
}

#[test]
fn embedded_xhtml_frames_are_active_content() {
    let v = verdict(
        r#"<doc xmlns:h="http://www.w3.org/1999/xhtml"><h:body><h:iframe src="x"/></h:body></doc>"#,
    );
    assert_eq!(v.reason(), Some(Reason::ActiveContent), "{v:?}");
}

#[test]
fn on_attributes_outside_svg_and_xhtml_are_data() {
    let v = verdict(r#"<config onboarding="yes"><item online="true"/></config>"#);
    assert!(v.is_accepted(), "{v:?}");
}

#[test]
fn the_svg_scope_ends_with_its_element() {
    let v = verdict(
        r#"<doc><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg><event onset="now"/></doc>"#,
    );
    assert!(v.is_accepted(), "{v:?}");
}

#[test]
fn script_urls_in_any_attribute_are_active_content() {
    for url in [
        "javascript:alert(1)",
        " JaVaScRiPt:x",
        "java&#10;script:x",
        "vbscript:x",
    ] {
        let v = verdict(&format!(r#"<doc><link target="{url}"/></doc>"#));
        assert_eq!(v.reason(), Some(Reason::ActiveContent), "{url}: {v:?}");
    }
    let v = verdict(r#"<doc><link target="https://example.com/javascript:x"/></doc>"#);
    assert!(v.is_accepted(), "{v:?}");
}

#[test]
fn a_part_rejection_names_the_part() {
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let report = docproc_engine::inspect_file(
        &corpus.join("docx-doctype.docx"),
        &Declared::default(),
        &Limits::default(),
    )
    .unwrap();
    match report.verdict {
        Verdict::Rejected(r) => {
            assert_eq!(r.reason, Reason::XmlDoctype);
            assert!(r.message.contains("word/document.xml"), "{}", r.message);
        }
        other => panic!("accepted: {other:?}"),
    }
}
